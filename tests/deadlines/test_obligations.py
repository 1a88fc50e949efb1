import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.core.errors import ApplicationError
from portal.deadlines.models import CalendarOverride, Obligation, ObligationReminder
from portal.deadlines.obligations import (
    ALREADY_COMPLETED,
    EVIDENCE_REQUIRED,
    RECEIVED_IN_FUTURE,
    obligation_complete,
    obligation_create,
    obligation_due_at,
)
from portal.deadlines.tasks import obligation_reminders_sweep
from portal.delivery.models import OutboundEmail

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")


def ams(*args):
    return dt.datetime(*args, tzinfo=AMS)


@pytest.mark.parametrize(
    ("received", "due_day"),
    [
        # Thursday before Easter 2026: Good Friday 3 Apr and Easter Monday 6 Apr are closed.
        (ams(2026, 4, 2, 9, 0), dt.date(2026, 4, 13)),
        # Friday 24 Apr 2026: King's Day is Monday 27 Apr.
        (ams(2026, 4, 24, 16, 0), dt.date(2026, 5, 4)),
        # Thursday 24 Dec 2026: both Christmas days and New Year's Day are closed.
        (ams(2026, 12, 24, 10, 0), dt.date(2027, 1, 4)),
        # A plain week: Monday → next Monday.
        (ams(2026, 6, 8, 12, 0), dt.date(2026, 6, 15)),
        # 23:30 UTC on Sunday is already Monday in Amsterdam: counting starts from Monday.
        (dt.datetime(2026, 6, 7, 22, 30, tzinfo=dt.UTC), dt.date(2026, 6, 15)),
    ],
)
@pytest.mark.parametrize("kind", ["disclosure_order", "data_subject_request"])
def test_five_business_days_around_holidays(kind, received, due_day):
    due = obligation_due_at(kind=kind, received_at=received)
    assert due.astimezone(AMS).date() == due_day
    assert (due.astimezone(AMS).hour, due.astimezone(AMS).minute) == (23, 59)


def test_operator_closed_day_moves_the_business_day_deadline():
    received = ams(2026, 6, 8, 12, 0)
    CalendarOverride.objects.create(date=dt.date(2026, 6, 10), kind="closed", note="Office closed")
    due = obligation_due_at(kind="disclosure_order", received_at=received)
    assert due.astimezone(AMS).date() == dt.date(2026, 6, 16)


def test_deletion_after_termination_is_thirty_calendar_days():
    due = obligation_due_at(kind="deletion_after_termination", received_at=ams(2026, 2, 10, 15, 0))
    assert due.astimezone(AMS).date() == dt.date(2026, 3, 12)


def test_breach_notification_rule_is_exactly_48_hours_in_utc():
    aware = ams(2026, 10, 24, 10, 0)  # CEST; the clocks go back on 25 Oct
    due = obligation_due_at(kind="breach_notification", received_at=aware)
    assert due == dt.datetime(2026, 10, 26, 8, 0, tzinfo=dt.UTC)
    assert due.astimezone(AMS).hour == 9  # 48 real hours, not "same wall-clock time"


def test_create_records_and_audits(org, legal):
    received = timezone.now() - dt.timedelta(hours=2)
    o = obligation_create(kind="disclosure_order", organisation=org, received_at=received, actor=legal)
    assert o.status == "open"
    assert o.title.startswith("Notify the controller")
    assert o.due_at == obligation_due_at(kind="disclosure_order", received_at=received)
    event = AuditEvent.objects.get(action="obligation.created")
    assert event.actor_id == legal.pk
    assert event.organisation_id == org.pk
    assert event.details["kind"] == "disclosure_order"


def test_create_with_the_same_source_returns_the_first(org, legal):
    received = timezone.now()
    first = obligation_create(
        kind="deletion_after_termination",
        organisation=org,
        received_at=received,
        actor=legal,
        source="objections.Objection:7",
    )
    again = obligation_create(
        kind="deletion_after_termination",
        organisation=org,
        received_at=received + dt.timedelta(minutes=5),
        actor=legal,
        source="objections.Objection:7",
    )
    assert again.pk == first.pk
    assert Obligation.objects.count() == 1
    assert AuditEvent.objects.filter(action="obligation.created").count() == 1


def test_received_in_the_future_is_refused(org, legal):
    with pytest.raises(ApplicationError, match=RECEIVED_IN_FUTURE):
        obligation_create(
            kind="disclosure_order", organisation=org, received_at=timezone.now() + dt.timedelta(days=1), actor=legal
        )
    assert Obligation.objects.count() == 0


def test_complete_needs_evidence_and_happens_once(org, legal):
    o = obligation_create(kind="data_subject_request", organisation=org, received_at=timezone.now(), actor=legal)
    with pytest.raises(ApplicationError, match=EVIDENCE_REQUIRED):
        obligation_complete(obligation=o, evidence="  ", actor=legal)
    o.refresh_from_db()
    assert o.status == "open"
    obligation_complete(obligation=o, evidence="Forwarded to dpo@acme.example on 3 June.", actor=legal)
    o.refresh_from_db()
    assert o.status == "completed"
    assert o.completed_by == legal
    with pytest.raises(ApplicationError, match=ALREADY_COMPLETED):
        obligation_complete(obligation=o, evidence="again", actor=legal)
    event = AuditEvent.objects.get(action="obligation.completed")
    assert event.details["on_time"] is True
    assert event.details["evidence"].startswith("Forwarded")


def test_reminders_once_each_when_the_beat_runs_every_seven_minutes(org, legal, settings, run_on_commit, mailoutbox):
    # given a disclosure order due at the end of a business day
    received = ams(2026, 6, 8, 12, 0)
    with time_machine.travel(received, tick=False):
        o = obligation_create(kind="disclosure_order", organisation=org, received_at=received, actor=legal)
    due = o.due_at
    # when the beat task runs every seven minutes (a slow beat; the breach test runs it every minute) from 25 hours
    # before the due time to 2 hours after it
    sent_at = {}
    moment = due - dt.timedelta(hours=25)
    with time_machine.travel(moment, tick=False) as traveller:
        while moment <= due + dt.timedelta(hours=2):
            traveller.move_to(moment)
            before = set(ObligationReminder.objects.values_list("stage", flat=True))
            run_on_commit(obligation_reminders_sweep)
            for stage in set(ObligationReminder.objects.values_list("stage", flat=True)) - before:
                sent_at[stage] = moment
            moment += dt.timedelta(minutes=7)
    # then each stage went out exactly once, at the first tick after its time
    assert set(sent_at) == {"24h", "12h", "4h", "1h", "overdue"}
    for stage, before in (("24h", 24), ("12h", 12), ("4h", 4), ("1h", 1), ("overdue", 0)):
        threshold = due - dt.timedelta(hours=before)
        assert threshold <= sent_at[stage] < threshold + dt.timedelta(minutes=7), stage
    reminders = OutboundEmail.objects.filter(template="obligation_reminder")
    assert reminders.filter(to_email=legal.email).count() == 4
    assert reminders.filter(to_email=settings.PORTAL_LEGAL_LEAD_EMAIL).count() == 1
    assert reminders.filter(status="sent").count() == 5
    assert len(mail.outbox) == 5
    overdue = [m for m in mail.outbox if m.to == [settings.PORTAL_LEGAL_LEAD_EMAIL]][0]
    assert overdue.subject.startswith("OVERDUE")


def test_completed_obligation_gets_no_reminders(org, legal):
    o = obligation_create(
        kind="data_subject_request",
        organisation=org,
        received_at=timezone.now() - dt.timedelta(days=10),
        actor=legal,
    )
    obligation_complete(obligation=o, evidence="Forwarded.", actor=legal)
    assert obligation_reminders_sweep() == 0
    assert ObligationReminder.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


def test_missed_ticks_are_caught_up_once(org, legal, settings):
    # given an overdue obligation no beat ever looked at (the worker was down)
    o = obligation_create(
        kind="data_subject_request",
        organisation=org,
        received_at=timezone.now() - dt.timedelta(days=10),
        actor=legal,
    )
    # when the beat runs several times
    first = obligation_reminders_sweep()
    again = obligation_reminders_sweep() + obligation_reminders_sweep()
    # then every due stage was sent once, and nothing more
    assert first == 5
    assert again == 0
    assert set(o.reminders.values_list("stage", flat=True)) == {"24h", "12h", "4h", "1h", "overdue"}
    assert OutboundEmail.objects.filter(to_email=settings.PORTAL_LEGAL_LEAD_EMAIL).count() == 1
