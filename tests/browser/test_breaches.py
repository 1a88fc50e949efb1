import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from dpa.breaches.models import BreachNotification
from dpa.breaches.services import breach_ack_token, breach_notification_send
from tests.auth import login
from tests.breaches.factories import make_incident, refuse_every_attempt
from tests.organisations.factories import OrganisationFactory, UserFactory, make_legal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

COUNTDOWN = re.compile(r"^\d+ h \d\d min \d\d s left$")


def _sign_in(page, live_server, user):
    client = Client()
    login(client, user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_dashboard_countdown_ticks_and_pages_are_accessible(live_server, page, screenshot, axe):
    # given an incident with one notification delivered and one still due
    legal = make_legal(UserFactory(email="counsel@processor.example"))
    sent_to = OrganisationFactory(name="Acme Health B.V.")
    unsent = OrganisationFactory(name="Globex GmbH")
    incident = make_incident(
        organisations=[sent_to, unsent],
        aware_at=timezone.now() - dt.timedelta(hours=2),
        actor=legal,
        pending=("consequences",),
    )
    notification = breach_notification_send(
        notification=BreachNotification.objects.get(incident=incident, organisation=sent_to), actor=legal
    )
    _sign_in(page, live_server, legal)
    # when legal staff open the breach dashboard
    page.goto(f"{live_server.url}/staff/breaches/")
    countdown = page.locator("[data-deadline]").first
    first = countdown.inner_text()
    page.wait_for_timeout(1500)
    second = countdown.inner_text()
    # then the countdown is live, in hours, minutes and seconds
    assert COUNTDOWN.match(second), second
    assert first != second
    assert second.startswith("45 h")
    screenshot("breach-dashboard")
    assert axe("breach dashboard") == []
    page.get_by_role("link", name=incident.title).click()
    page.wait_for_load_state()
    assert page.get_by_text("Delivered on time").is_visible()
    assert page.get_by_text("Not sent", exact=True).is_visible()
    screenshot("breach-incident")
    assert axe("breach incident") == []
    # and the controller acknowledges from the emailed link without signing in
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/breach-ack/{breach_ack_token(notification)}/")
    assert axe("acknowledgement page") == []
    page.get_by_role("button", name="Acknowledge receipt").click()
    page.wait_for_load_state()
    assert page.get_by_text("is acknowledged").is_visible()
    notification.refresh_from_db()
    assert notification.acknowledged_via == "link"


def test_failed_delivery_is_red_and_resent_to_another_address(live_server, page, screenshot, axe, settings):
    # given a notice the mail server refused on every attempt
    legal = make_legal(UserFactory(email="counsel@processor.example"))
    org = OrganisationFactory(name="Acme Health B.V.", breach_contact_email="gone@acme.example")
    incident = make_incident(organisations=[org], aware_at=timezone.now() - dt.timedelta(hours=3), actor=legal)
    settings.EMAIL_BACKEND = "tests.delivery.test_outbox.FailingBackend"
    notification = breach_notification_send(notification=BreachNotification.objects.get(incident=incident), actor=legal)
    refuse_every_attempt(notification.email_id)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _sign_in(page, live_server, legal)
    # when legal staff open the staff home: the queue is red and names the failure
    page.goto(f"{live_server.url}/staff/")
    section = page.locator("#breach-notifications")
    assert "1 delivery failed" in section.inner_text()
    assert section.get_by_text("Delivery failed", exact=True).is_visible()
    assert axe("staff home with a failed delivery") == []
    section.get_by_role("link", name=incident.title).click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").filter(has_text="could not be delivered").is_visible()
    screenshot("breach-delivery-failed")
    assert axe("incident with a failed delivery") == []
    # and resend it to another address
    page.get_by_label("Send to").fill("soc@acme-backup.example")
    page.get_by_role("button", name="Resend").click()
    page.wait_for_load_state()
    assert page.get_by_text("queued again for soc@acme-backup.example").is_visible()
    # then the outbox delivered it (tasks run in-process here) and the page says so
    notification.refresh_from_db()
    assert notification.status == "delivered"
    assert notification.recipient_email == "soc@acme-backup.example"
    page.reload()
    assert page.get_by_text("Delivered on time").is_visible()
    assert page.get_by_text(f"(Message-ID {notification.delivered_message_id})").is_visible()
