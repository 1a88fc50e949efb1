import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from dpa.models import BreachFollowUp, BreachNotification, Obligation, ObligationReminder
from dpa.services.breaches import (
    ALREADY_SENT,
    AWARE_LOCKED,
    NO_CONTACT,
    breach_ack_url,
    breach_acknowledge,
    breach_followup_send,
    breach_incident_update,
    breach_notification_send,
    breach_notifications_send_all,
    breach_organisations_add,
)
from dpa.tasks import obligation_reminders_sweep
from portal.errors import ApplicationError
from portal.models import AuditEvent, OutboundEmail
from portal.services.audit import Actor
from tests.dpa.factories import make_incident
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")
T0 = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)


def notice(incident, org) -> BreachNotification:
    return BreachNotification.objects.get(incident=incident, organisation=org)


def test_one_notification_per_organisation_due_exactly_48h_after_awareness(org, other_org, legal):
    with time_machine.travel(T0 + dt.timedelta(hours=5), tick=False):
        incident = make_incident(organisations=[org, other_org], aware_at=T0, actor=legal)
    notices = list(incident.notifications.order_by("organisation__name"))
    assert [n.organisation for n in notices] == [org, other_org]
    assert {n.deadline for n in notices} == {dt.datetime(2026, 6, 3, 8, 0, tzinfo=dt.UTC)}
    # every notification is also an open obligation in the register, due at the same minute
    for n in notices:
        assert n.obligation.kind == Obligation.Kind.BREACH_NOTIFICATION
        assert n.obligation.due_at == n.deadline
        assert n.obligation.status == "open"


def test_aware_at_before_a_dst_change_in_amsterdam(org, legal):
    # 10:00 CEST on Saturday 24 Oct 2026; the clocks go back at 03:00 on Sunday 25 Oct
    aware = dt.datetime(2026, 10, 24, 10, 0, tzinfo=AMS)
    with time_machine.travel(aware + dt.timedelta(minutes=5), tick=False):
        incident = make_incident(organisations=[org], aware_at=aware, actor=legal)
    n = notice(incident, org)
    assert n.deadline == dt.datetime(2026, 10, 26, 8, 0, tzinfo=dt.UTC)
    assert n.deadline - incident.aware_at == dt.timedelta(hours=48)
    assert n.deadline.astimezone(AMS).strftime("%d %H:%M %Z") == "26 09:00 CET"


@pytest.mark.parametrize(
    ("after", "status"),
    [
        (dt.timedelta(hours=47, minutes=59), "sent_on_time"),
        (dt.timedelta(hours=48), "sent_on_time"),
        (dt.timedelta(hours=48, minutes=1), "sent_late"),
    ],
)
def test_deadline_is_exactly_48_hours(org, legal, after, status):
    with time_machine.travel(T0, tick=False):
        incident = make_incident(organisations=[org], aware_at=T0, actor=legal)
    with time_machine.travel(T0 + after, tick=False):
        n = breach_notification_send(notification=notice(incident, org), actor=legal)
    assert n.status == status
    assert n.margin == dt.timedelta(hours=48) - after
    event = AuditEvent.objects.get(action="breach.notification_sent")
    assert event.details["on_time"] is (status == "sent_on_time")


def test_sending_is_refused_while_a_block_is_empty(org, legal, mailoutbox):
    incident = make_incident(organisations=[org], empty=("consequences",), actor=legal)
    n = notice(incident, org)
    with pytest.raises(ApplicationError) as exc:
        breach_notification_send(notification=n, actor=legal)
    assert "(iii) Established and expected consequences" in exc.value.message
    n.refresh_from_db()
    assert n.sent_at is None
    assert OutboundEmail.objects.count() == 0
    assert not AuditEvent.objects.filter(action="breach.notification_sent").exists()


def test_pending_blocks_are_listed_in_the_email(org, legal, run_on_commit, mailoutbox):
    incident = make_incident(organisations=[org], pending=("consequences", "measures"), actor=legal)
    run_on_commit(breach_notification_send, notification=notice(incident, org), actor=legal)
    assert len(mailoutbox) == 1
    body = mailoutbox[0].body
    assert mailoutbox[0].to == [org.breach_contact_email]
    pending_part = body.split("STILL PENDING")[1]
    assert "(iii) Established and expected consequences" in pending_part
    assert "(iv) Measures taken and planned" in pending_part
    assert "(i) Nature" not in pending_part
    assert "API request logs of about 1,200 end users." in body
    assert body.count("Not yet known — will follow") == 2
    assert notice(incident, org).pending_at_send == ["consequences", "measures"]


def test_fallback_to_privacy_contact_is_flagged(legal, run_on_commit, mailoutbox):
    org = OrganisationFactory(breach_contact_email="", privacy_contact_email="privacy@fallback.example")
    incident = make_incident(organisations=[org], actor=legal)
    n = notice(incident, org)
    assert n.recipient_is_fallback is True
    assert n.recipient_email == "privacy@fallback.example"
    run_on_commit(breach_notification_send, notification=n, actor=legal)
    assert mailoutbox[0].to == ["privacy@fallback.example"]
    event = AuditEvent.objects.get(action="breach.notification_sent")
    assert event.details["recipient_is_fallback"] is True


def test_organisation_without_any_contact_cannot_be_sent_to(legal):
    org = OrganisationFactory(breach_contact_email="", privacy_contact_email="")
    incident = make_incident(organisations=[org], actor=legal)
    with pytest.raises(ApplicationError, match=NO_CONTACT.format(org=org.name)):
        breach_notification_send(notification=notice(incident, org), actor=legal)


def test_notification_is_sent_once(org, legal, run_on_commit, mailoutbox):
    incident = make_incident(organisations=[org], actor=legal)
    run_on_commit(breach_notification_send, notification=notice(incident, org), actor=legal)
    with pytest.raises(ApplicationError, match=ALREADY_SENT.format(org=org.name)):
        breach_notification_send(notification=notice(incident, org), actor=legal)
    assert len(mailoutbox) == 1
    # sending completes the obligation: no reminder will follow
    n = notice(incident, org)
    assert n.obligation.status == "completed"
    assert n.obligation.completed_at == n.sent_at


def test_send_all_is_all_or_nothing(org, legal, mailoutbox):
    nobody = OrganisationFactory(breach_contact_email="", privacy_contact_email="")
    incident = make_incident(organisations=[org, nobody], actor=legal)
    with pytest.raises(ApplicationError):
        breach_notifications_send_all(incident=incident, actor=legal)
    assert not BreachNotification.objects.filter(sent_at__isnull=False).exists()
    assert OutboundEmail.objects.count() == 0


def test_followups_are_numbered_and_audited(org, other_org, legal, run_on_commit, mailoutbox):
    incident = make_incident(organisations=[org, other_org], pending=("consequences",), actor=legal)
    run_on_commit(breach_notification_send, notification=notice(incident, org), actor=legal)
    # when the consequences become known and two updates are sent
    incident = breach_incident_update(
        incident=incident,
        actor=legal,
        data={"consequences": "Phishing risk; no financial data.", "consequences_pending": False},
    )
    run_on_commit(breach_followup_send, incident=incident, message="Consequences assessed.", actor=legal)
    run_on_commit(breach_followup_send, incident=incident, message="Keys rotated.", actor=legal)
    # then only the notified organisation got them, numbered 1 and 2
    followups = list(BreachFollowUp.objects.order_by("number"))
    assert [(f.notification.organisation, f.number) for f in followups] == [(org, 1), (org, 2)]
    assert [m.subject.split(" on ")[0] for m in mailoutbox[1:]] == ["Update 1", "Update 2"]
    assert "All required information has now been provided." in mailoutbox[1].body
    assert "Phishing risk; no financial data." in mailoutbox[1].body
    events = AuditEvent.objects.filter(action="breach.followup_sent").order_by("id")
    assert [e.details["number"] for e in events] == [1, 2]


def test_aware_at_cannot_change_after_a_notification_was_sent(org, legal):
    incident = make_incident(organisations=[org], actor=legal)
    breach_notification_send(notification=notice(incident, org), actor=legal)
    with pytest.raises(ApplicationError, match=AWARE_LOCKED):
        breach_incident_update(
            incident=incident, actor=legal, data={"aware_at": incident.aware_at - dt.timedelta(hours=1)}
        )


def test_correcting_aware_at_moves_deadlines_and_obligations(org, legal):
    incident = make_incident(organisations=[org], actor=legal)
    earlier = incident.aware_at - dt.timedelta(hours=3)
    breach_incident_update(incident=incident, actor=legal, data={"aware_at": earlier})
    n = notice(incident, org)
    assert n.deadline == earlier + dt.timedelta(hours=48)
    assert n.obligation.due_at == n.deadline
    assert AuditEvent.objects.filter(action="obligation.rescheduled").count() == 1


def test_all_customers_scope_and_adding_later(org, other_org, legal):
    incident = make_incident(organisations=[org], actor=legal)
    added = breach_organisations_add(incident=incident, actor=legal, scope="all")
    assert [n.organisation for n in added] == [other_org]
    assert incident.notifications.count() == 2
    # adding again changes nothing
    assert breach_organisations_add(incident=incident, actor=legal, scope="all") == []


def test_acknowledgement_once(org, legal, member):
    incident = make_incident(organisations=[org], actor=legal)
    n = breach_notification_send(notification=notice(incident, org), actor=legal)
    n, changed = breach_acknowledge(notification=n, via="portal", actor=member)
    assert changed is True
    first = n.acknowledged_at
    n, changed = breach_acknowledge(notification=n, via="link", actor=Actor(label="x"))
    assert changed is False
    assert n.acknowledged_at == first
    assert n.acknowledged_via == "portal"
    assert AuditEvent.objects.filter(action="breach.notification_acknowledged").count() == 1
    assert "/breach-ack/" in breach_ack_url(n)


def test_breach_reminders_once_each_across_the_whole_window(org, legal, settings, run_on_commit, mailoutbox):
    # given an incident whose notification nobody sends
    with time_machine.travel(T0, tick=False):
        incident = make_incident(organisations=[org], aware_at=T0, actor=legal)
    deadline = notice(incident, org).deadline
    # when the beat runs every minute from 25 hours before the deadline until an hour past it
    moment = deadline - dt.timedelta(hours=25)
    with time_machine.travel(moment, tick=False) as traveller:
        while moment <= deadline + dt.timedelta(hours=1):
            traveller.move_to(moment)
            run_on_commit(obligation_reminders_sweep)
            moment += dt.timedelta(minutes=1)
    # then four reminders to legal staff and one overdue alert to the legal lead, each once, at its minute
    reminders = {r.stage: r.created_at for r in ObligationReminder.objects.all()}
    assert set(reminders) == {"24h", "12h", "4h", "1h", "overdue"}
    for stage, hours in (("24h", 24), ("12h", 12), ("4h", 4), ("1h", 1), ("overdue", 0)):
        at = deadline - dt.timedelta(hours=hours)
        assert at <= reminders[stage] < at + dt.timedelta(minutes=1)
    assert [m.to for m in mail.outbox] == [[legal.email]] * 4 + [[settings.PORTAL_LEGAL_LEAD_EMAIL]]
    assert "deadline in 24 hours" in mail.outbox[0].subject
    assert "OVERDUE: breach notification" in mail.outbox[-1].subject
    timeline_actions = list(AuditEvent.objects.filter(details__incident=incident.pk).values_list("action", flat=True))
    assert timeline_actions.count("obligation.reminder_sent") == 4
    assert timeline_actions.count("obligation.overdue_alert") == 1


def test_no_reminder_once_the_notification_is_sent(org, legal):
    with time_machine.travel(T0, tick=False):
        incident = make_incident(organisations=[org], aware_at=T0, actor=legal)
    with time_machine.travel(T0 + dt.timedelta(hours=30), tick=False):
        assert obligation_reminders_sweep() == 1  # the 24h stage
        breach_notification_send(notification=notice(incident, org), actor=legal)
    with time_machine.travel(T0 + dt.timedelta(hours=50), tick=False):
        assert obligation_reminders_sweep() == 0
    assert list(ObligationReminder.objects.values_list("stage", flat=True)) == ["24h"]


def test_reminder_needs_no_legal_user_to_reach_someone(org, settings):
    # no legal staff at all: reminders still reach the legal lead
    with time_machine.travel(T0, tick=False):
        make_incident(organisations=[org], aware_at=T0)
    with time_machine.travel(T0 + dt.timedelta(hours=25), tick=False):
        obligation_reminders_sweep()
    assert list(OutboundEmail.objects.values_list("to_email", flat=True)) == [settings.PORTAL_LEGAL_LEAD_EMAIL]
    assert timezone.now() > T0


# --- scope: all customers using a sub-processor -----------------------------------------------------------


def test_customers_of_a_subprocessor(org, other_org, legal):
    from tests.subprocessors.factories import make_subprocessor

    sp = make_subprocessor(at=timezone.now() - dt.timedelta(days=30))
    incident = make_incident(organisations=[], scope="subprocessor", subprocessor=sp, actor=legal)
    assert incident.subprocessor == sp
    assert {n.organisation for n in incident.notifications.all()} == {org, other_org}
    assert AuditEvent.objects.get(action="breach.incident_created").details["subprocessor"] == sp.slug


def test_subprocessor_scope_needs_one_on_the_list_that_day(org, legal):
    from dpa.models import BreachIncident
    from dpa.services.breaches import SUBPROCESSOR_REQUIRED
    from tests.subprocessors.factories import make_subprocessor

    with pytest.raises(ApplicationError, match=SUBPROCESSOR_REQUIRED):
        make_incident(organisations=[], scope="subprocessor", actor=legal)
    later = make_subprocessor(at=timezone.now(), slug="later", name="Later Inc")
    with pytest.raises(ApplicationError, match="was not on the sub-processor list"):
        make_incident(
            organisations=[],
            scope="subprocessor",
            subprocessor=later,
            aware_at=timezone.now() - dt.timedelta(days=3),
            actor=legal,
        )
    assert BreachIncident.objects.count() == 0
