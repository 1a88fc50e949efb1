"""The notice rule: a change adding or replacing a sub-processor takes effect only when every enterprise customer had
a notice *delivered* at least 10 business days before its date; otherwise it is held for legal staff to postpone or
withdraw. Dates around Christmas 2026 and King's Day 2026 (Netherlands calendar)."""

import csv
import datetime as dt
import io
import json
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from portal.audit.models import AuditEvent
from portal.core.errors import ApplicationError
from portal.deadlines.calendar import add_business_days, business_days_between
from portal.delivery.models import ChatAlert, OutboundEmail
from portal.delivery.tasks import outbox_sweep
from portal.organisations.models import Organisation
from subprocessors.changes import tasks
from subprocessors.changes.fanout import change_fanout
from subprocessors.changes.models import ChangeRecipient, SubprocessorChange
from subprocessors.changes.notices import (
    ALTERNATE_EXISTS,
    ALTERNATE_NOT_RECIPIENT,
    change_notice_alternate,
    change_postpone,
)
from subprocessors.changes.services import change_announce, change_withdraw
from subprocessors.changes.windows import notice_deadline, notice_on_time
from subprocessors.listing.models import Subprocessor
from subprocessors.webhooks.models import Webhook, WebhookDelivery
from tests.auth import login
from tests.changes.factories import RefusingBackend, make_change, notice_gaps
from tests.listing.factories import SubscriberFactory
from tests.organisations.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

AMS = ZoneInfo("Europe/Amsterdam")
MONDAY = dt.datetime(2026, 12, 14, 10, 0, tzinfo=AMS)  # 10 business days before Tuesday 29 December
EFFECTIVE = dt.date(2026, 12, 29)
ON_THE_DAY = dt.datetime(2026, 12, 29, 0, 5, tzinfo=AMS)
REFUSING = "tests.changes.factories.RefusingBackend"


@pytest.fixture(autouse=True)
def _smtp(settings):
    settings.SESSION_COOKIE_AGE = 120 * 24 * 3600  # the tests travel weeks ahead of a login
    settings.EMAIL_BACKEND = REFUSING
    settings.OUTBOX_MAX_ATTEMPTS = 3
    RefusingBackend.refused = set()
    yield
    RefusingBackend.refused = set()


@pytest.fixture
def customers(org, other_org):
    """Three enterprise customers, a self-serve one and a public subscriber."""
    third = OrganisationFactory(name="Initech N.V.")
    tiny = OrganisationFactory(name="TinyApps", tier=Organisation.Tier.SELF_SERVE)
    reader = SubscriberFactory(email="reader@news.example", status="confirmed")
    return {"org": org, "other": other_org, "third": third, "tiny": tiny, "reader": reader}


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run `func` at `at` and its on-commit work (Celery is eager: fan-out and SMTP delivery happen too)."""

    def run(at, func, *args, **kwargs):
        with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
            return func(*args, **kwargs)

    return run


def _announce(commit, legal, *, at=MONDAY, effective=EFFECTIVE, **kw) -> SubprocessorChange:
    change = make_change(effective_date=effective, **kw)
    commit(at, change_announce, change=change, effective_date=None, actor=legal)
    change.refresh_from_db()
    return change


def _retry_until_failed(commit, start):
    """The outbox sweep retries due emails; with 3 attempts a refused address has failed after these runs."""
    for minutes in (1, 3, 6):
        commit(start + dt.timedelta(minutes=minutes), outbox_sweep)


def _beat(commit, at=ON_THE_DAY) -> int:
    return commit(at, tasks.changes_make_effective)


def _recipient(change, email) -> ChangeRecipient:
    return ChangeRecipient.objects.get(change=change, email=email)


def _section(body: str, key: str) -> str:
    start = body.index(f'id="{key}"')
    return body[start : body.find("</section>", start)]


# --- the rule, as dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("effective", "last_day"),
    [
        (dt.date(2026, 12, 29), dt.date(2026, 12, 14)),  # 25 and 26 December closed
        (dt.date(2027, 1, 5), dt.date(2026, 12, 20)),  # a Friday's weekend counts like the Friday
        (dt.date(2026, 4, 28), dt.date(2026, 4, 13)),  # King's Day, Monday 27 April, closed
        (dt.date(2026, 4, 29), dt.date(2026, 4, 14)),
    ],
)
def test_notice_deadline_is_the_announcement_rule_applied_to_the_delivery(effective, last_day):
    deadline = notice_deadline(effective)
    assert deadline == dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time.min, tzinfo=AMS)
    assert add_business_days(last_day, 10) <= effective < add_business_days(last_day + dt.timedelta(days=1), 10)
    just_in_time = deadline - dt.timedelta(microseconds=1)
    assert notice_on_time(just_in_time, effective)
    assert not notice_on_time(deadline, effective)


def test_notice_deadline_agrees_with_business_days_between_all_year():
    day = dt.date(2026, 1, 1)
    while day < dt.date(2027, 1, 31):
        deadline = notice_deadline(day)
        last = (deadline - dt.timedelta(seconds=1)).astimezone(AMS).date()
        assert business_days_between(last, day) >= 10
        assert business_days_between(last + dt.timedelta(days=1), day) < 10
        day += dt.timedelta(days=7)


# --- held on its date ---------------------------------------------------------------------------------------


def test_smtp_refusing_every_attempt_for_one_enterprise_recipient_holds_the_change(
    client, commit, legal, customers, mailoutbox
):
    # given the SMTP server refuses Globex's privacy contact on every attempt
    other = customers["other"]
    RefusingBackend.refused = {other.privacy_contact_email}
    Webhook.objects.create(organisation=customers["org"], url="https://93.184.215.14/hook", secret="s")
    change = _announce(commit, legal)
    _retry_until_failed(commit, MONDAY)
    failed = _recipient(change, other.privacy_contact_email)
    assert (failed.announce_email.status, failed.announce_email.attempts) == ("failed", 3)
    assert failed.notice_delivered_at is None
    delivered = _recipient(change, customers["org"].privacy_contact_email)
    assert delivered.notice_delivered_at == MONDAY
    # when the beat task runs on the effective date
    mailoutbox.clear()
    assert _beat(commit) == 0
    # then the change is held, not effective, and the sub-processor is not engaged
    change.refresh_from_db()
    assert change.status == SubprocessorChange.Status.HELD
    assert change.held_at == ON_THE_DAY
    assert change.effective_at is None
    assert change.subprocessor.status == Subprocessor.Status.PROPOSED
    event = AuditEvent.objects.get(action="subprocessor_change.held")
    assert event.details["organisations"] == [other.name]
    assert event.details["after"] == {"status": "held"}
    assert not AuditEvent.objects.filter(action="subprocessor_change.effective").exists()
    assert [m.subject for m in mailoutbox] == [f"Held, notice incomplete: {change.headline}"] * 2  # legal + lead
    held_hook = WebhookDelivery.objects.get(event="subprocessor_change.held")
    assert held_hook.payload["change"]["status"] == "held"
    assert held_hook.payload["change"]["held"] is True
    # and running the beat again changes nothing
    assert _beat(commit, ON_THE_DAY + dt.timedelta(minutes=5)) == 0
    assert AuditEvent.objects.filter(action="subprocessor_change.held").count() == 1
    assert OutboundEmail.objects.filter(template="subprocessor_change_held").count() == 2
    # and the staff home lists the change as "notice incomplete" with that recipient only
    with time_machine.travel(ON_THE_DAY + dt.timedelta(hours=9), tick=False):
        login(client, legal)
        section = _section(client.get(reverse("staff:home")).content.decode(), "changes")
    assert "Notice incomplete" in section
    assert "1 change with notice incomplete (1 held on the effective date)" in section
    assert f"{other.name}: {other.privacy_contact_email} — failed" in section
    assert customers["org"].privacy_contact_email not in section
    assert customers["third"].name not in section


def test_broker_down_and_fanout_resumed_by_the_sweep_three_business_days_later_is_held(
    client, commit, legal, customers, monkeypatch
):
    # given the broker is down when the change is announced: the fan-out task cannot be enqueued
    def broker_down(*args):
        raise ConnectionError("redis down")

    monkeypatch.setattr(tasks.change_fanout_task, "delay", broker_down)
    change = _announce(commit, legal)
    assert not ChangeRecipient.objects.filter(change=change).exists()
    # when the sweep resumes it on Thursday 17 December, three business days later
    monkeypatch.undo()
    thursday = dt.datetime(2026, 12, 17, 9, 0, tzinfo=AMS)
    assert commit(thursday, tasks.change_fanout_sweep) == 1
    assert business_days_between(thursday.date(), EFFECTIVE) == 7
    assert set(ChangeRecipient.objects.filter(change=change).values_list("notice_delivered_at", flat=True)) == {
        thursday
    }
    # then every notice was delivered, but late: the change is held on its date
    _beat(commit)
    change.refresh_from_db()
    assert change.status == SubprocessorChange.Status.HELD
    event = AuditEvent.objects.get(action="subprocessor_change.held")
    assert event.details["organisations"] == sorted(
        [customers["org"].name, customers["other"].name, customers["third"].name]
    )
    with time_machine.travel(ON_THE_DAY + dt.timedelta(hours=9), tick=False):
        login(client, legal)
        detail = client.get(reverse("changes:staff_detail", args=[change.public_id])).content.decode()
        home = _section(client.get(reverse("staff:home")).content.decode(), "changes")
    assert "Held since" in detail
    assert "3 enterprise organisations without a notice delivered in time" in detail
    assert detail.count('<span class="badge warn">late</span>') == 3
    assert customers["tiny"].name not in detail  # self-serve: informed, not required
    assert f"delivered late {thursday:%d %b %Y} 09:00".lstrip("0") in home


def test_fanout_that_never_ran_holds_the_change(commit, legal, customers, monkeypatch):
    monkeypatch.setattr(tasks.change_fanout_task, "delay", lambda *a: (_ for _ in ()).throw(ConnectionError()))
    change = _announce(commit, legal)
    monkeypatch.undo()
    _beat(commit)
    change.refresh_from_db()
    assert change.status == SubprocessorChange.Status.HELD
    assert AuditEvent.objects.get(action="subprocessor_change.held").details["recipients_recorded"] is False


@pytest.mark.parametrize(
    ("announced", "delivered", "effective", "takes_effect"),
    [
        # delivered on Monday 14 Dec, 23:59: exactly 10 business days before Tuesday 29 Dec (25, 26 Dec closed)
        (MONDAY, dt.datetime(2026, 12, 14, 23, 59, tzinfo=AMS), EFFECTIVE, True),
        # one minute later it is Tuesday 15 Dec: 9 business days
        (MONDAY, dt.datetime(2026, 12, 15, 0, 0, tzinfo=AMS), EFFECTIVE, False),
        # delivered on Monday 13 April for Tuesday 28 April 2026: King's Day (27 April) does not count, 10 days
        (
            dt.datetime(2026, 4, 13, 9, 0, tzinfo=AMS),
            dt.datetime(2026, 4, 13, 17, 0, tzinfo=AMS),
            dt.date(2026, 4, 28),
            True,
        ),
        # delivered on Tuesday 14 April: only 9 business days before 28 April because of King's Day
        (
            dt.datetime(2026, 4, 13, 9, 0, tzinfo=AMS),
            dt.datetime(2026, 4, 14, 9, 0, tzinfo=AMS),
            dt.date(2026, 4, 28),
            False,
        ),
    ],
)
def test_edges_of_the_ten_business_days(commit, legal, org, monkeypatch, announced, delivered, effective, takes_effect):
    # given an announcement whose notices reach the customer only at `delivered` (the broker was down)
    monkeypatch.setattr(tasks.change_fanout_task, "delay", lambda *a: (_ for _ in ()).throw(ConnectionError()))
    change = _announce(commit, legal, at=announced, effective=effective)
    monkeypatch.undo()
    commit(delivered, change_fanout, change_id=change.pk, notice="announce")
    assert _recipient(change, org.privacy_contact_email).notice_delivered_at == delivered
    assert notice_on_time(delivered, effective) is takes_effect
    # when the beat runs at 00:05 on the effective date
    _beat(commit, dt.datetime.combine(effective, dt.time(0, 5), tzinfo=AMS))
    change.refresh_from_db()
    change.subprocessor.refresh_from_db()
    if takes_effect:
        assert change.status == SubprocessorChange.Status.EFFECTIVE
        assert change.subprocessor.status == Subprocessor.Status.ACTIVE
        assert change.subprocessor.engaged_since == effective
    else:
        assert change.status == SubprocessorChange.Status.HELD
        assert change.subprocessor.status == Subprocessor.Status.PROPOSED


def test_subscribers_and_self_serve_failures_do_not_hold(commit, legal, customers):
    RefusingBackend.refused = {customers["reader"].email, customers["tiny"].privacy_contact_email}
    change = _announce(commit, legal)
    _retry_until_failed(commit, MONDAY)
    assert OutboundEmail.objects.filter(ref_id=str(change.pk), status="failed").count() == 2
    assert _beat(commit) == 1
    change.refresh_from_db()
    assert change.status == SubprocessorChange.Status.EFFECTIVE
    assert not AuditEvent.objects.filter(action="subprocessor_change.held").exists()


def test_removal_is_never_held(commit, legal, org):
    RefusingBackend.refused = {org.privacy_contact_email}
    _announce(commit, legal, kind="remove")
    _retry_until_failed(commit, MONDAY)
    assert _beat(commit) == 1


def test_hold_lifts_when_the_missing_organisation_leaves_the_enterprise_plan(commit, legal, customers):
    other = customers["other"]
    RefusingBackend.refused = {other.privacy_contact_email}
    change = _announce(commit, legal)
    _retry_until_failed(commit, MONDAY)
    _beat(commit)
    # when the organisation moves to the self-serve plan, the next beat finds the notice complete
    Organisation.objects.filter(pk=other.pk).update(tier=Organisation.Tier.SELF_SERVE)
    later = dt.datetime(2027, 1, 4, 0, 5, tzinfo=AMS)
    assert _beat(commit, later) == 1
    change.refresh_from_db()
    change.subprocessor.refresh_from_db()
    assert change.status == SubprocessorChange.Status.EFFECTIVE
    # the record says when it was engaged: the day the hold lifted, not the original date
    assert change.subprocessor.engaged_since == dt.date(2027, 1, 4)
    assert AuditEvent.objects.get(action="subprocessor_change.effective").details["before"] == {"status": "held"}


# --- legal staff decide: postpone, withdraw, another contact ------------------------------------------------


@pytest.fixture
def held(commit, legal, customers):
    """A change held on 29 December because Globex's privacy contact refused every notice."""
    RefusingBackend.refused = {customers["other"].privacy_contact_email}
    change = _announce(commit, legal)
    _retry_until_failed(commit, MONDAY)
    _beat(commit)
    change.refresh_from_db()
    assert change.status == SubprocessorChange.Status.HELD
    return change


AFTER_HOLD = dt.datetime(2026, 12, 29, 10, 0, tzinfo=AMS)
NEW_DATE = dt.date(2027, 1, 13)  # 30, 31 Dec, (1 Jan closed), 4–8, 11–13 Jan: 10 business days after 29 Dec


def test_holding_a_change_posts_one_staff_chat_alert(commit, legal, customers, receiver, settings):
    # given staff chat alerts go to a local chat server
    handler, url = receiver
    settings.STAFF_CHAT_WEBHOOK_URL = url
    RefusingBackend.refused = {customers["other"].privacy_contact_email}
    change = _announce(commit, legal)
    _retry_until_failed(commit, MONDAY)
    # when the change is held on its date, and the beat runs again
    _beat(commit)
    _beat(commit, ON_THE_DAY + dt.timedelta(minutes=5))
    # then one alert about the hold, posted, linking to the change's staff page
    change.refresh_from_db()
    assert change.status == SubprocessorChange.Status.HELD
    alert = ChatAlert.objects.get(kind="change_held")
    staff_url = "http://testserver" + reverse("changes:staff_detail", args=[change.public_id])
    assert alert.text == (
        "Sub-processor change held: notice incomplete\n"
        f"Change: {change.headline}\n"
        "Effective date: 2026-12-29\n"
        "Without a delivered notice: 1 organisation (Globex GmbH)\n"
        "Decide: postpone or withdraw\n"
        f"{staff_url}"
    )
    assert alert.status == "sent"
    assert json.loads(handler.received[-1][1]) == {"text": alert.text}
    # the notice that failed for good raised its own alert (failed deliveries)
    failed = ChatAlert.objects.filter(kind="delivery_failed")
    assert failed.count() == OutboundEmail.objects.filter(status="failed").count() >= 1


def test_postpone_a_held_change_notifies_everyone_and_the_hold_lifts_when_delivered(
    client, commit, legal, customers, held, mailoutbox
):
    assert add_business_days(AFTER_HOLD.date(), 10) == NEW_DATE
    Webhook.objects.create(organisation=customers["org"], url="https://93.184.215.14/hook", secret="s")
    late_joiner = OrganisationFactory(name="Newco B.V.")  # enterprise customer since the announcement
    url = reverse("notices:staff_postpone", args=[held.public_id])
    with time_machine.travel(AFTER_HOLD, tick=False):
        login(client, legal)
        # a date sooner than 10 business days is refused, naming the earliest
        early = client.post(url, {"postpone-effective_date": "2027-01-12", "postpone-reason": "Notice did not reach."})
        assert early.status_code == 400
        assert "Wednesday 13 January 2027" in early.content.decode()
        assert client.post(url, {"postpone-effective_date": "2027-01-13", "postpone-reason": " "}).status_code == 400
    held.refresh_from_db()
    assert (held.status, held.effective_date) == ("held", EFFECTIVE)
    # when Globex's mailbox works again and legal staff postpone to the earliest date
    RefusingBackend.refused = set()
    mailoutbox.clear()
    with time_machine.travel(AFTER_HOLD, tick=False):
        login(client, legal)
    response = commit(
        AFTER_HOLD,
        client.post,
        url,
        {"postpone-effective_date": "2027-01-13", "postpone-reason": "Notice did not reach Globex."},
    )
    assert response.status_code == 302
    # then the change is announced again for the new date and everyone is notified (the new customer too)
    held.refresh_from_db()
    assert (held.status, held.effective_date, held.previous_effective_date) == ("announced", NEW_DATE, EFFECTIVE)
    assert held.postponements == 1
    assert held.held_at is None
    assert held.objection_deadline == dt.datetime(2027, 1, 13, 0, 0, tzinfo=AMS)
    postponed = OutboundEmail.objects.filter(template="subprocessor_change_postpone")
    expected = {
        customers["org"].privacy_contact_email,
        customers["other"].privacy_contact_email,
        customers["third"].privacy_contact_email,
        customers["tiny"].privacy_contact_email,
        customers["reader"].email,
        late_joiner.privacy_contact_email,
    }
    assert set(postponed.values_list("to_email", flat=True)) == expected
    assert {m.to[0] for m in mailoutbox if "postponed" in m.subject} == expected
    body = postponed.get(to_email=late_joiner.privacy_contact_email).body_text
    assert "now takes effect on Wednesday 13 January 2027 instead of Tuesday 29 December 2026" in body
    assert "Notice did not reach Globex." in body
    event = AuditEvent.objects.get(action="subprocessor_change.postponed")
    assert event.actor_id == legal.pk
    assert event.details["was_held"] is True
    assert event.details["before"]["status"] == "held"
    assert event.details["after"]["effective_date"] == "2027-01-13"
    hook = WebhookDelivery.objects.get(event="subprocessor_change.postponed")
    assert hook.payload["change"]["effective_date"] == "2027-01-13"
    assert hook.payload["change"]["previous_effective_date"] == "2026-12-29"
    # and running the postponement fan-out again adds nothing
    assert change_fanout(change_id=held.pk, notice="postpone") == 0
    # and on the new date, every enterprise customer (the new one included) had it 10 business days before
    assert _beat(commit, dt.datetime(2027, 1, 13, 0, 5, tzinfo=AMS)) == 1
    held.refresh_from_db()
    assert held.status == SubprocessorChange.Status.EFFECTIVE
    assert held.subprocessor.engaged_since == NEW_DATE


def test_postponement_fanout_is_resumed_by_the_sweep_and_withdrawal_reaches_those_only_postponed_to(
    commit, legal, customers, held, django_capture_on_commit_callbacks
):
    from subprocessors.changes.fanout import changes_with_unfinished_fanout

    late_joiner = OrganisationFactory(name="Newco B.V.")
    # the postponement commits but its fan-out task is lost
    with time_machine.travel(AFTER_HOLD, tick=False), django_capture_on_commit_callbacks(execute=False):
        change_postpone(change=held, effective_date=NEW_DATE, reason="More time.", actor=legal)
    with time_machine.travel(AFTER_HOLD + dt.timedelta(minutes=3), tick=False):
        assert changes_with_unfinished_fanout() == [(held.pk, "postpone")]
    assert commit(AFTER_HOLD + dt.timedelta(minutes=3), tasks.change_fanout_sweep) == 1
    assert OutboundEmail.objects.filter(template="subprocessor_change_postpone").count() == 6
    assert commit(AFTER_HOLD + dt.timedelta(minutes=6), tasks.change_fanout_sweep) == 0
    # withdrawn later: the customer who only ever had the postponement is told too
    commit(AFTER_HOLD + dt.timedelta(days=1), change_withdraw, change=held, reason="Dropped.", actor=legal)
    withdrawn = OutboundEmail.objects.filter(template="subprocessor_change_withdraw")
    assert late_joiner.privacy_contact_email in set(withdrawn.values_list("to_email", flat=True))
    assert withdrawn.count() == 6


def test_postponed_change_is_held_again_if_the_new_notice_also_fails(commit, legal, customers, held):
    # Globex's mailbox still refuses: the postponement notice fails as well
    commit(AFTER_HOLD, change_postpone, change=held, effective_date=NEW_DATE, reason="Second try.", actor=legal)
    _retry_until_failed(commit, AFTER_HOLD)
    _beat(commit, dt.datetime(2027, 1, 13, 0, 5, tzinfo=AMS))
    held.refresh_from_db()
    assert held.status == SubprocessorChange.Status.HELD
    assert AuditEvent.objects.filter(action="subprocessor_change.held").count() == 2
    assert WebhookDelivery.objects.filter(event="subprocessor_change.held").count() == 0  # no webhooks registered


def test_withdraw_a_held_change(client, commit, legal, customers, held):
    url = reverse("changes:staff_withdraw", args=[held.public_id])
    with time_machine.travel(AFTER_HOLD, tick=False):
        login(client, legal)
    response = commit(AFTER_HOLD, client.post, url, {"reason": "Globex could not be reached; we drop it."})
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.status == SubprocessorChange.Status.WITHDRAWN
    assert held.subprocessor.status == Subprocessor.Status.PROPOSED
    event = AuditEvent.objects.get(action="subprocessor_change.withdrawn")
    assert event.details["before"] == {"status": "held"}
    withdrawn = OutboundEmail.objects.filter(template="subprocessor_change_withdraw")
    # everyone who was sent the announcement (the refused address too: its email exists, it failed)
    assert withdrawn.count() == ChangeRecipient.objects.filter(change=held).count() == 5
    # a withdrawn change is never made effective
    assert _beat(commit, dt.datetime(2027, 2, 1, 0, 5, tzinfo=AMS)) == 0


def test_alternate_contact_for_a_failing_recipient_before_the_deadline_avoids_the_hold(
    client, commit, legal, customers, mailoutbox
):
    other = customers["other"]
    RefusingBackend.refused = {other.privacy_contact_email}
    change = _announce(commit, legal)
    _retry_until_failed(commit, MONDAY)
    later = MONDAY + dt.timedelta(hours=2)
    url = reverse("notices:staff_alternate", args=[change.public_id])
    with time_machine.travel(later, tick=False):
        login(client, legal)
        page = client.get(reverse("changes:staff_detail", args=[change.public_id])).content.decode()
        assert "Send the notice to another contact" in page
        assert f'value="{other.public_id}"' in page
        assert f'value="{customers["org"].public_id}"' not in page  # delivered: nothing to fix
    mailoutbox.clear()
    form = {
        "alternate-organisation": other.public_id,
        "alternate-email": "Legal@Globex.example",
        "alternate-reason": "Privacy mailbox is gone.",
    }
    response = commit(later, client.post, url, form)
    assert response.status_code == 302
    alternate = _recipient(change, "legal@globex.example")
    assert alternate.role == ChangeRecipient.Role.ALTERNATE
    assert alternate.added_by == legal
    assert alternate.notice_delivered_at == later
    assert [m.to for m in mailoutbox] == [["legal@globex.example"]]
    assert "could not be delivered" in mailoutbox[0].body
    assert "Legal entity:" in mailoutbox[0].body
    event = AuditEvent.objects.get(action="subprocessor_change.alternate_contact")
    assert event.details["instead_of"] == [other.privacy_contact_email]
    assert event.details["reason"] == "Privacy mailbox is gone."
    assert event.organisation_id == other.pk
    # the notice is complete: the change takes effect on its date
    assert _beat(commit) == 1
    change.refresh_from_db()
    assert change.status == SubprocessorChange.Status.EFFECTIVE


def test_alternate_contact_refusals_change_nothing(commit, legal, customers):
    change = _announce(commit, legal)
    outsider = OrganisationFactory(name="Outsider")  # created after the announcement
    before = (ChangeRecipient.objects.count(), OutboundEmail.objects.count(), AuditEvent.objects.count())
    cases = [
        (customers["other"], customers["org"].privacy_contact_email, ALTERNATE_EXISTS.split("{")[0]),
        (outsider, "dpo@outsider.example", ALTERNATE_NOT_RECIPIENT.format(organisation="Outsider")),
        (customers["other"], "not an address", "valid email"),
    ]
    for organisation, email, message in cases:
        with pytest.raises(ApplicationError) as exc:
            change_notice_alternate(change=change, organisation=organisation, email=email, reason="x", actor=legal)
        assert message in str(exc.value.message)
    after = (ChangeRecipient.objects.count(), OutboundEmail.objects.count(), AuditEvent.objects.count())
    assert after == before


def test_alternate_contact_after_the_deadline_needs_a_postponement(commit, legal, customers, held):
    # legal staff add another contact for Globex after the hold: delivered now, late for 29 December
    commit(
        AFTER_HOLD,
        change_notice_alternate,
        change=held,
        organisation=customers["other"],
        email="legal@globex.example",
        reason="Privacy mailbox is gone.",
        actor=legal,
    )
    assert _beat(commit, AFTER_HOLD + dt.timedelta(minutes=5)) == 0
    held.refresh_from_db()
    assert held.status == SubprocessorChange.Status.HELD
    # postponed, the alternate's earlier delivery counts for the new date: the hold lifts on it
    commit(AFTER_HOLD, change_postpone, change=held, effective_date=NEW_DATE, reason="New contact.", actor=legal)
    assert _beat(commit, dt.datetime(2027, 1, 13, 0, 5, tzinfo=AMS)) == 1


# --- objections follow the date -----------------------------------------------------------------------------


def test_objection_deadline_runs_to_the_postponed_date(client, commit, legal, customers, held):
    from subprocessors.objections.services import objection_create

    member = MembershipFactory(organisation=customers["org"]).user
    other_member = MembershipFactory(organisation=customers["other"]).user
    grounds = "Our patient data must not reach a provider whose contract we have not reviewed."
    # while held the window is closed (it closed at 00:00 on the original date)
    with time_machine.travel(AFTER_HOLD, tick=False), pytest.raises(ApplicationError, match="announced change"):
        objection_create(change=held, organisation=customers["org"], grounds=grounds, actor=member)
    commit(AFTER_HOLD, change_postpone, change=held, effective_date=NEW_DATE, reason="More time.", actor=legal)
    api = client.get(reverse("changes:api_list"), {"status": "announced"}).json()["results"][0]
    assert api["objection_deadline"] == "2027-01-13T00:00:00+01:00"
    assert api["how_to_object"]["deadline"] == "2027-01-13T00:00:00+01:00"
    # accepted until 23:59 on the day before the new date, refused from 00:00
    last_minute = dt.datetime(2027, 1, 12, 23, 59, tzinfo=AMS)
    with time_machine.travel(last_minute, tick=False):
        objection = objection_create(change=held, organisation=customers["org"], grounds=grounds, actor=member)
    assert objection.status == "received"
    midnight = dt.datetime(2027, 1, 13, 0, 0, tzinfo=AMS)
    with time_machine.travel(midnight, tick=False), pytest.raises(ApplicationError, match="closed at 13 January 2027"):
        objection_create(change=held, organisation=customers["other"], grounds=grounds, actor=other_member)


def test_objection_reminder_comes_again_before_the_postponed_date(commit, legal, org):
    from subprocessors.objections.models import Objection
    from subprocessors.objections.services import objection_reminders_send

    change = make_change(status="announced", effective_date=EFFECTIVE)
    Objection.objects.create(change=change, organisation=org, grounds="Transfer impact assessment first.")
    # 2 business days before 29 December (24 December, then 25 and 26 closed)
    assert objection_reminders_send(now=dt.datetime(2026, 12, 24, 9, 0, tzinfo=AMS)) == 1
    commit(
        MONDAY + dt.timedelta(days=10),
        change_postpone,
        change=change,
        effective_date=NEW_DATE,
        reason="Talks.",
        actor=legal,
    )
    assert objection_reminders_send(now=dt.datetime(2027, 1, 8, 9, 0, tzinfo=AMS)) == 0  # 3 business days ahead
    assert objection_reminders_send(now=dt.datetime(2027, 1, 11, 9, 0, tzinfo=AMS)) == 1
    reminders = OutboundEmail.objects.filter(template="objection_reminder")
    assert reminders.count() == 4  # legal staff and the legal lead, once per date


# --- what shows the held state -----------------------------------------------------------------------------


def test_api_and_pages_show_the_held_state(client, held, customers):
    body = client.get(reverse("changes:api_list"), {"status": "held"}).json()
    assert [r["id"] for r in body["results"]] == [str(held.public_id)]
    row = body["results"][0]
    assert (row["status"], row["held"]) == ("held", True)
    assert row["held_at"] == "2026-12-29T00:05:00+01:00"
    public = client.get(reverse("listing:list")).content.decode()
    assert "On hold since 29 December 2026" in public
    member = MembershipFactory(organisation=customers["org"]).user
    with time_machine.travel(AFTER_HOLD, tick=False):
        login(client, member)
        home = client.get(reverse("organisations:detail", args=[customers["org"].public_id])).content.decode()
    assert "On hold" in home
    # the customer never sees who was not reached
    assert customers["other"].privacy_contact_email not in public + home


# --- permissions ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["notices:staff_postpone", "notices:staff_alternate"])
def test_new_staff_actions_refuse_everyone_but_legal_with_mfa(client, name, legal_no_mfa, customers):
    change = make_change(status="held", effective_date=EFFECTIVE)
    notice_gaps(change, [customers["other"]])
    url = reverse(name, args=[change.public_id])
    data = {
        "postpone-effective_date": "2027-06-01",
        "postpone-reason": "Because.",
        "alternate-organisation": customers["other"].public_id,
        "alternate-email": "x@globex.example",
        "alternate-reason": "Because.",
    }
    # anonymous: to the login page
    response = client.post(url, data)
    assert response.status_code == 302
    assert "/login/" in response["Location"]
    # a customer of the organisation concerned, an admin of another organisation: refused
    for user in (
        MembershipFactory(organisation=customers["other"], role="admin").user,
        MembershipFactory(organisation=customers["org"], role="admin").user,
    ):
        login(client, user)
        assert client.post(url, data).status_code == 403
    # legal staff whose login did not pass MFA: sent to set it up, nothing done
    login(client, legal_no_mfa)
    response = client.post(url, data)
    assert response.status_code == 302
    assert "totp" in response["Location"] or "reauthenticate" in response["Location"]
    change.refresh_from_db()
    assert (change.status, change.effective_date, change.postponements) == ("held", EFFECTIVE, 0)
    assert ChangeRecipient.objects.filter(change=change).count() == 1
    assert not AuditEvent.objects.filter(action__startswith="subprocessor_change.").exists()


def test_get_is_not_allowed_on_the_actions(client, legal):
    change = make_change(status="held", effective_date=EFFECTIVE)
    login(client, legal)
    for name in ("notices:staff_postpone", "notices:staff_alternate"):
        assert client.get(reverse(name, args=[change.public_id])).status_code == 405


# --- query counts ----------------------------------------------------------------------------------------------


def _held_changes(n: int, gaps: int) -> None:
    for _ in range(n):
        change = make_change(status="held", effective_date=EFFECTIVE)
        notice_gaps(change, [OrganisationFactory() for _ in range(gaps)])


def test_staff_home_query_count_does_not_grow_with_held_changes_or_gaps(client, legal):
    login(client, legal)
    url = reverse("staff:home")
    _held_changes(1, 1)
    client.get(url)  # warm the session and permission caches
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    _held_changes(6, 12)
    with CaptureQueriesContext(connection) as many:
        body = client.get(url).content.decode()
    assert len(many) == len(one), [q["sql"] for q in many.captured_queries]
    section = _section(body, "changes")
    assert "7 changes with notice incomplete (7 held on the effective date)" in section
    assert "… 12 organisations in all" in section


def test_change_page_query_count_does_not_grow_with_gaps(client, legal):
    change = make_change(status="held", effective_date=EFFECTIVE)
    notice_gaps(change, [OrganisationFactory()])
    login(client, legal)
    url = reverse("changes:staff_detail", args=[change.public_id])
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    notice_gaps(change, [OrganisationFactory() for _ in range(30)])
    with CaptureQueriesContext(connection) as many:
        body = client.get(url).content.decode()
    assert len(many) == len(one), [q["sql"] for q in many.captured_queries]
    assert "31 enterprise organisations without a notice delivered in time" in body


def test_proof_of_notice_shows_queued_delivered_and_failed_with_message_ids(client, commit, legal, customers, held):
    login(client, legal)
    page = client.get(reverse("notices:staff_notice", args=[held.public_id])).content.decode()
    failed = _recipient(held, customers["other"].privacy_contact_email).announce_email
    delivered = _recipient(held, customers["org"].privacy_contact_email).announce_email
    assert escape(failed.message_id) in page
    assert escape(delivered.message_id) in page
    assert "failed: SMTPRecipientsRefused" in page
    assert "held: notice incomplete" in page
    response = client.get(reverse("notices:staff_notice_export", args=[held.public_id]))
    rows = {r["recipient"]: r for r in csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))}
    bad = rows[customers["other"].privacy_contact_email]
    assert bad["queued_at"] == "2026-12-14T09:00:00+00:00"
    assert bad["sent_at"] == ""
    assert bad["failed_at"] == "2026-12-14T09:03:00+00:00"
    assert bad["message_id"] == failed.message_id
    assert bad["delivered_in_time"] == ""
    good = rows[customers["org"].privacy_contact_email]
    assert good["sent_at"] == good["notice_delivered_at"] == "2026-12-14T09:00:00+00:00"
    assert good["delivered_in_time"] == "yes"
    assert good["notice_deadline"] == "2026-12-14T23:00:00+00:00"  # 00:00 on 15 December in Amsterdam
    # filter: organisations' addresses with no notice delivered
    missing = client.get(reverse("notices:staff_notice", args=[held.public_id]), {"delivery": "missing"})
    assert customers["other"].privacy_contact_email in missing.content.decode()
    assert customers["org"].privacy_contact_email not in missing.content.decode().split("<tbody>")[1]
