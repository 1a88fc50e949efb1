"""Journey 3: legal announces a new sub-processor; a customer files an objection from the emailed link; legal
replies in the thread; the change becomes effective on its date (the clock is moved to that date). And a change
held because a notice failed: another contact, then a postponement."""

import datetime as dt

import pytest
from django.utils import timezone

from portal.deadlines.calendar import local_date
from portal.delivery.models import OutboundEmail
from portal.organisations.models import Membership
from subprocessors.changes.models import ChangeRecipient, SubprocessorChange
from subprocessors.changes.services import change_make_effective
from subprocessors.changes.windows import earliest_effective_date
from subprocessors.listing.models import Subprocessor
from subprocessors.objections.models import Objection
from tests.browser.helpers import emailed_path, sign_in
from tests.changes.factories import make_change, notice_gaps, proposed
from tests.organisations.factories import MembershipFactory, OrganisationFactory, UserFactory, make_legal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_announce_object_reply_and_change_takes_effect(live_server, page, screenshot, axe):
    page.set_default_timeout(10_000)
    legal = make_legal(UserFactory(email="counsel@processor.example"))
    customer = MembershipFactory(
        user__email="dpo@clinic.example",
        organisation__name="Clinic Group B.V.",
        organisation__privacy_contact_email="dpo@clinic.example",
        role=Membership.Role.ADMIN,
    )
    newcomer = proposed(name="Mistral AI", slug="mistral-ai")

    # legal schedules the change as a draft, then announces it
    sign_in(page, live_server, legal)
    page.goto(f"{live_server.url}/staff/subprocessor-changes/")
    page.get_by_role("link", name="Schedule a change").click()
    page.wait_for_load_state()
    screenshot("journey3-staff-change-new")
    assert axe("schedule a change") == []
    page.get_by_label("Kind").select_option("add")
    page.get_by_label("Subprocessor").select_option(label="Mistral AI")
    page.get_by_label("Reason").fill("Faster inference for the assistant, hosted in the EU.")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="New sub-processor: Mistral AI").is_visible()
    page.get_by_role("button", name="Announce").click()
    page.wait_for_load_state()
    assert page.get_by_text("Announced.").is_visible()
    screenshot("journey3-staff-change-announced")
    assert axe("announced change") == []
    change = SubprocessorChange.objects.get(subprocessor=newcomer)
    assert change.status == SubprocessorChange.Status.ANNOUNCED

    # the customer's privacy contact follows the link in the notice and files an objection
    notice = OutboundEmail.objects.get(to_email="dpo@clinic.example")
    page.context.clear_cookies()
    sign_in(page, live_server, customer.user)
    page.goto(live_server.url + emailed_path(notice, f"/subprocessors/changes/{change.public_id}/object/"))
    assert page.get_by_role("heading", name="Object to a sub-processor change").is_visible()
    screenshot("journey3-objection-form")
    assert axe("objection form") == []
    page.get_by_label("Data-protection grounds").fill(
        "Our patients' records must not be processed by a new AI provider without a transfer impact assessment."
    )
    page.get_by_role("button", name="File objection").click()
    page.wait_for_load_state()
    assert page.get_by_text("Objection received.").is_visible()
    objection = Objection.objects.get(change=change)

    # legal replies in the objection's thread
    page.context.clear_cookies()
    sign_in(page, live_server, legal)
    page.goto(f"{live_server.url}/staff/subprocessor-changes/{change.public_id}/")
    page.get_by_role("link", name="Clinic Group B.V.").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Objection of Clinic Group B.V.").is_visible()
    page.get_by_label("Message").fill("Mistral AI processes in France only; the transfer assessment is attached.")
    page.get_by_role("button", name="Send", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_text("Message sent to the customer.").is_visible()
    screenshot("journey3-staff-objection-thread")
    assert axe("staff objection thread") == []

    # the customer sees the reply in the thread
    page.context.clear_cookies()
    sign_in(page, live_server, customer.user)
    page.goto(f"{live_server.url}/org/{customer.organisation.public_id}/objections/{objection.public_id}/")
    assert page.get_by_text("the transfer assessment is attached").is_visible()
    screenshot("journey3-customer-objection-thread")
    assert axe("customer objection thread") == []

    # before the effective date the sub-processor is still only proposed
    assert Subprocessor.objects.get(pk=newcomer.pk).status == Subprocessor.Status.PROPOSED

    # the clock reaches the effective date: the beat task's service applies the change
    change.refresh_from_db()
    on_the_day = dt.datetime.combine(change.effective_date, dt.time(9, 0), tzinfo=dt.UTC)
    assert not change_make_effective(change=change, now=on_the_day - dt.timedelta(days=1))
    assert change_make_effective(change=change, now=on_the_day)
    assert local_date(on_the_day) == change.effective_date
    newcomer.refresh_from_db()
    assert newcomer.status == Subprocessor.Status.ACTIVE
    assert newcomer.engaged_since == change.effective_date
    page.goto(f"{live_server.url}/subprocessors/")
    assert page.get_by_role("main").get_by_text("Mistral AI").first.is_visible()
    screenshot("journey3-public-list-effective")
    assert axe("public list after the change") == []


def test_held_change_gets_another_contact_and_is_postponed(live_server, page, screenshot, axe):
    """A change held on its date because one customer's notice failed: legal staff find it on the staff home,
    send the notice to another contact of that customer, and postpone the change to a new date."""
    page.set_default_timeout(10_000)
    legal = make_legal(UserFactory(email="counsel@processor.example"))
    customer = OrganisationFactory(name="Clinic Group B.V.", privacy_contact_email="dpo@clinic.example")
    today = local_date(timezone.now())
    change = make_change(status="held", effective_date=today, held_at=timezone.now())
    notice_gaps(change, [customer])
    failed = OutboundEmail.objects.create(
        idempotency_key=f"subprocessor-change:{change.pk}:announce:dpo@clinic.example",
        to_email="dpo@clinic.example",
        subject="Sub-processor change notice",
        body_text="…",
        template="subprocessor_change_announce",
        ref_type="changes.SubprocessorChange",
        ref_id=str(change.pk),
        status=OutboundEmail.Status.FAILED,
        attempts=6,
        last_error="SMTPRecipientsRefused: 550 5.1.1 mailbox unknown",
    )
    ChangeRecipient.objects.filter(change=change).update(announce_email=failed)

    # the staff home lists the held change and the customer it is missing
    sign_in(page, live_server, legal)
    page.goto(f"{live_server.url}/staff/")
    panel = page.locator("#changes")
    assert panel.get_by_text("Notice incomplete").first.is_visible()
    assert panel.get_by_text("Clinic Group B.V.: dpo@clinic.example — failed").is_visible()
    screenshot("journey3-staff-home-notice-incomplete")
    assert axe("staff home with a held change") == []

    # the change page shows the failing address; legal staff send the notice to another contact
    panel.get_by_role("link", name=f"New sub-processor: {change.subprocessor.name}").click()
    page.wait_for_load_state()
    assert page.get_by_text("Held since").is_visible()
    screenshot("journey3-staff-change-held")
    assert axe("held change") == []
    page.get_by_label("Other address").fill("legal@clinic.example")
    page.get_by_label("Why this address?").fill("The DPO mailbox no longer exists.")
    page.get_by_role("button", name="Send the notice").click()
    page.wait_for_load_state()
    assert page.get_by_text("The notice is on its way to legal@clinic.example").is_visible()
    assert ChangeRecipient.objects.get(change=change, email="legal@clinic.example").role == "alternate"

    # and postpone it to the earliest date the form suggests (10 business days away)
    page.get_by_label("Why is the change postponed?").fill("The notice did not reach Clinic Group in time.")
    page.get_by_role("button", name="Postpone and notify").click()
    page.wait_for_load_state()
    assert page.get_by_text("Postponed.").is_visible()
    change.refresh_from_db()
    assert change.status == SubprocessorChange.Status.ANNOUNCED
    assert change.effective_date == earliest_effective_date("add", timezone.now())
    assert change.previous_effective_date == today
    screenshot("journey3-staff-change-postponed")
    assert axe("postponed change") == []
