"""Journey 5: legal records a breach affecting two organisations, sends the notifications (they count once the
mail server accepted them), and one customer acknowledges receipt from the link in the email."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from dpa.breaches.models import BreachIncident, BreachNotification
from portal.delivery.models import OutboundEmail
from tests.browser.helpers import emailed_path, sign_in
from tests.organisations.factories import OrganisationFactory, UserFactory, make_legal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_record_breach_notify_two_organisations_and_one_acknowledges(live_server, page, screenshot, axe):
    page.set_default_timeout(10_000)
    legal = make_legal(UserFactory(email="counsel@processor.example"))
    OrganisationFactory(name="Clinic Group B.V.", breach_contact_email="dpo@clinic.example")
    OrganisationFactory(name="Harbour Logistics GmbH", breach_contact_email="privacy@harbour.example")
    OrganisationFactory(name="Unaffected Bakery", breach_contact_email="privacy@bakery.example")
    aware = timezone.localtime(timezone.now() - dt.timedelta(hours=3)).replace(second=0, microsecond=0)

    # legal records the incident and picks the two affected organisations
    sign_in(page, live_server, legal)
    page.goto(f"{live_server.url}/staff/breaches/")
    screenshot("journey5-breach-dashboard")
    assert axe("breach dashboard") == []
    page.get_by_role("link", name="Record a breach").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Record a personal data breach").is_visible()
    screenshot("journey5-breach-form")
    assert axe("breach form") == []
    page.get_by_label("Title").fill("Misdirected export of appointment lists")
    page.get_by_label("Became aware at (local time)").fill(aware.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("(i) Nature of the breach").fill(
        "An export was emailed to the wrong customer; about 40 patients."
    )
    page.get_by_label("(ii) Affected data").fill("Names and appointment times; 120 records.")
    page.get_by_label("(iii) Established and expected consequences").fill("Low: the recipient deleted the file.")
    page.get_by_label("(iv) Measures taken and planned").fill("Export recipients are now confirmed twice.")
    page.get_by_label("Clinic Group B.V.").check()
    page.get_by_label("Harbour Logistics GmbH").check()
    page.get_by_role("button", name="Record incident").click()
    page.wait_for_load_state()
    assert page.get_by_text("Incident recorded; 2 notifications to send.").is_visible()
    incident = BreachIncident.objects.get()
    assert incident.aware_at == aware

    # the staff home lists both undelivered notifications first, with their countdown; keyboard gets there
    page.goto(f"{live_server.url}/staff/")
    assert page.get_by_role("heading", name="What needs a decision").is_visible()
    screenshot("journey5-staff-home")
    assert axe("staff home") == []
    card = page.get_by_role("link", name=re.compile("Breach notifications not yet delivered"))
    assert "2" in card.inner_text()
    card.focus()
    page.keyboard.press("Enter")
    assert page.url.endswith("#breach-notifications")
    section = page.locator("#breach-notifications")
    assert section.get_by_role("timer").count() == 2
    assert "left" in section.get_by_role("timer").first.inner_text()
    section.get_by_role("link", name="Misdirected export of appointment lists").first.click()
    page.wait_for_load_state()

    # sends both notifications at once
    assert page.get_by_role("heading", name="Misdirected export of appointment lists").is_visible()
    page.get_by_role("button", name="Send all 2 unsent notifications").click()
    page.wait_for_load_state()
    assert page.get_by_text("2 notifications queued; each counts once delivered.").is_visible()
    screenshot("journey5-breach-sent")
    assert axe("breach detail after sending") == []
    # the outbox delivered both (tasks run in-process here): delivered, with the time and Message-ID kept
    delivered = BreachNotification.objects.filter(status="delivered")
    assert set(delivered.values_list("recipient_email", flat=True)) == {"dpo@clinic.example", "privacy@harbour.example"}
    assert all(n.delivered_message_id == n.email.message_id for n in delivered)
    page.reload()
    assert page.get_by_text("Delivered on time").count() == 2
    assert not OutboundEmail.objects.filter(to_email="privacy@bakery.example").exists()

    # one customer acknowledges from the emailed link, without signing in
    page.context.clear_cookies()
    email = OutboundEmail.objects.get(to_email="dpo@clinic.example")
    page.goto(live_server.url + emailed_path(email, "/breach-ack/"))
    assert page.get_by_role("heading", name="Acknowledge a breach notification").is_visible()
    screenshot("journey5-breach-ack")
    assert axe("breach acknowledgement") == []
    page.get_by_role("button", name="Acknowledge receipt").click()
    page.wait_for_load_state()
    assert page.get_by_text("Receipt of the notification").is_visible()
    acknowledged = BreachNotification.objects.filter(acknowledged_at__isnull=False)
    assert list(acknowledged.values_list("organisation__name", flat=True)) == ["Clinic Group B.V."]

    # legal sees who acknowledged and who has not
    sign_in(page, live_server, legal)
    page.goto(f"{live_server.url}/staff/breaches/{incident.public_id}/")
    screenshot("journey5-breach-acknowledged")
    assert axe("breach detail after acknowledgement") == []
