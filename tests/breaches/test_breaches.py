import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from dpa.breaches.delivery import (
    RESEND_BAD_ADDRESS,
    RESEND_NOT_FAILED,
    breach_notification_resend,
    notice_delivered,
    notice_failed,
)
from dpa.breaches.models import BreachFollowUp, BreachIncident, BreachNotification
from dpa.breaches.services import (
    ACK_INVALID,
    ALREADY_SENT,
    AWARE_LOCKED,
    AWARE_LOCKED_DEADLINE,
    AWARE_LOCKED_SENT,
    AWARE_REASON_REQUIRED,
    NATURE_REQUIRED,
    NATURE_TOO_SHORT,
    NO_CONTACT,
    NO_CONTACT_POINT,
    breach_ack_url,
    breach_acknowledge,
    breach_followup_send,
    breach_incident_update,
    breach_notification_from_token,
    breach_notification_send,
    breach_notifications_send_all,
    breach_organisations_add,
)
from portal.audit.models import AuditEvent
from portal.audit.services import Actor
from portal.core.errors import ApplicationError
from portal.deadlines.models import Obligation, ObligationReminder
from portal.deadlines.tasks import obligation_reminders_sweep
from portal.delivery.models import OutboundEmail
from portal.delivery.outbox import outbox_deliver
from tests.breaches.factories import deliver, make_incident, refuse_every_attempt, send_and_deliver
from tests.organisations.factories import OrganisationFactory

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")
T0 = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
DEADLINE = T0 + dt.timedelta(hours=48)
FAILING = "tests.delivery.test_outbox.FailingBackend"


def notice(incident, org) -> BreachNotification:
    return BreachNotification.objects.get(incident=incident, organisation=org)


def actions(**filters) -> list[str]:
    return list(AuditEvent.objects.filter(**filters).order_by("id").values_list("action", flat=True))


@pytest.fixture
def at_t0(org, legal):
    """An incident we became aware of at T0, affecting `org`, recorded at T0."""
    with time_machine.travel(T0, tick=False):
        return make_incident(organisations=[org], aware_at=T0, actor=legal)


def test_one_notification_per_organisation_due_exactly_48h_after_awareness(org, other_org, legal):
    with time_machine.travel(T0 + dt.timedelta(hours=5), tick=False):
        incident = make_incident(organisations=[org, other_org], aware_at=T0, actor=legal)
    notices = list(incident.notifications.order_by("organisation__name"))
    assert [n.organisation for n in notices] == [org, other_org]
    assert {n.deadline for n in notices} == {dt.datetime(2026, 6, 3, 8, 0, tzinfo=dt.UTC)}
    assert {n.status for n in notices} == {"drafted"}
    assert incident.earliest_aware_at == incident.aware_at == T0
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


# --- sending queues; only delivery notifies ---------------------------------------------------------------


def test_sending_only_queues_the_notice(org, legal, at_t0):
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        n = breach_notification_send(notification=notice(at_t0, org), actor=legal)
    assert n.status == "queued"
    assert n.queued_at == T0 + dt.timedelta(hours=1)
    assert n.on_time is None
    assert n.margin is None
    assert n.status_label == "Queued, not yet delivered"
    assert n.email.status == OutboundEmail.Status.QUEUED
    assert n.email.to_email == org.breach_contact_email
    # queueing proves nothing: the obligation stays open, and the record claims no delivery
    assert n.obligation.status == "open"
    assert actions(action__startswith="breach.notification") == [
        "breach.notification_created",
        "breach.notification_queued",
    ]
    assert not actions(action="obligation.completed")


@pytest.mark.parametrize(
    ("delivered_after", "outcome"),
    [
        (dt.timedelta(hours=47, minutes=59), "delivered_on_time"),
        (dt.timedelta(hours=48), "delivered_on_time"),
        (dt.timedelta(hours=48, minutes=1), "delivered_late"),
    ],
)
def test_on_time_means_delivered_by_the_deadline(org, legal, at_t0, delivered_after, outcome):
    # given a notice queued well inside the deadline
    with time_machine.travel(T0 + dt.timedelta(hours=47), tick=False):
        n = breach_notification_send(notification=notice(at_t0, org), actor=legal)
    # when the mail server accepts it at `delivered_after`
    with time_machine.travel(T0 + delivered_after, tick=False):
        n = deliver(n)
    # then the record says on time only if the delivery was by the deadline (exactly 48 h after awareness, UTC)
    assert n.deadline == DEADLINE
    assert n.outcome == outcome
    assert n.on_time is (outcome == "delivered_on_time")
    assert n.delivered_at == T0 + delivered_after
    assert n.delivered_message_id == n.email.message_id
    assert n.margin == dt.timedelta(hours=48) - delivered_after
    # and the 48-hour obligation completed from the delivery event, naming its time and Message-ID
    obligation = Obligation.objects.get(pk=n.obligation_id)
    assert obligation.status == "completed"
    assert obligation.completed_at == n.delivered_at
    stamp = (T0 + delivered_after).strftime("%Y-%m-%d %H:%M:%S")
    assert obligation.evidence == (
        f"Breach notification delivered to {org.breach_contact_email} at {stamp} UTC "
        f"(Message-ID {n.delivered_message_id})."
    )
    delivered = AuditEvent.objects.get(action="breach.notification_delivered")
    assert delivered.details["on_time"] is n.on_time
    assert delivered.details["message_id"] == n.delivered_message_id
    completed = AuditEvent.objects.get(action="obligation.completed")
    assert completed.details["on_time"] is n.on_time


def test_delivery_event_is_idempotent(org, legal, at_t0):
    n = send_and_deliver(notice(at_t0, org), legal)
    # the outbox may call the handler again for the same row (after a lost connection): nothing changes
    notice_delivered(OutboundEmail.objects.get(pk=n.email_id))
    again = notice(at_t0, org)
    assert again.delivered_at == n.delivered_at
    assert actions(action="breach.notification_delivered") == ["breach.notification_delivered"]
    assert actions(action="obligation.completed") == ["obligation.completed"]


def test_smtp_refusing_every_attempt(org, legal, settings, run_on_commit, at_t0):
    # given the mail server refuses all six attempts
    settings.EMAIL_BACKEND = FAILING
    settings.OUTBOX_MAX_ATTEMPTS = 6
    with time_machine.travel(T0 + dt.timedelta(hours=2), tick=False):
        n = run_on_commit(breach_notification_send, notification=notice(at_t0, org), actor=legal)
        # when every attempt is made
        results = refuse_every_attempt(n.email_id)
    # then the notice is failed, not on time, and its obligation stays open
    assert results[-1] == "failed"
    assert len(results) <= 6  # the first attempt ran on commit
    assert OutboundEmail.objects.get(pk=n.email_id).attempts == 6
    n = notice(at_t0, org)
    assert n.status == "failed"
    assert n.on_time is None
    assert n.delivered_at is None
    assert n.status_label == "Delivery failed"
    assert "SMTPServerDisconnected" in n.failure_reason
    assert n.obligation.status == "open"
    assert not actions(action="obligation.completed")
    # and the legal lead is emailed at once
    alert = OutboundEmail.objects.get(template="breach_delivery_failed")
    assert alert.to_email == settings.PORTAL_LEGAL_LEAD_EMAIL
    assert alert.subject == f"DELIVERY FAILED: breach notification to {org.name} was not delivered"
    assert org.breach_contact_email in alert.body_text
    assert f"/staff/breaches/{at_t0.public_id}/" in alert.body_text
    failed = AuditEvent.objects.get(action="breach.notification_failed")
    assert failed.details["alerted"] == settings.PORTAL_LEGAL_LEAD_EMAIL
    # the handler running twice alerts once
    notice_failed(OutboundEmail.objects.get(pk=n.email_id))
    assert OutboundEmail.objects.filter(template="breach_delivery_failed").count() == 1
    assert actions(action="breach.notification_failed") == ["breach.notification_failed"]


def test_a_failed_notice_keeps_counting_down_and_goes_overdue(org, legal, settings, run_on_commit, at_t0):
    settings.EMAIL_BACKEND = FAILING
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        n = breach_notification_send(notification=notice(at_t0, org), actor=legal)
        refuse_every_attempt(n.email_id)
    # the beat keeps reminding legal staff and alerts the legal lead at the deadline
    for hours in (30, 40, 47, 48):
        with time_machine.travel(T0 + dt.timedelta(hours=hours), tick=False):
            obligation_reminders_sweep()
    assert set(ObligationReminder.objects.values_list("stage", flat=True)) == {"24h", "12h", "4h", "1h", "overdue"}
    overdue = OutboundEmail.objects.get(template="obligation_reminder", to_email=settings.PORTAL_LEGAL_LEAD_EMAIL)
    assert overdue.subject == f"OVERDUE: breach notification to {org.name} not delivered"
    assert "Delivery failed" in overdue.body_text


def test_reminders_keep_firing_while_a_notice_is_only_queued(org, legal, at_t0):
    with time_machine.travel(T0 + dt.timedelta(hours=30), tick=False):
        assert obligation_reminders_sweep() == 1  # the 24h stage
        breach_notification_send(notification=notice(at_t0, org), actor=legal)  # queued, never delivered
    with time_machine.travel(T0 + dt.timedelta(hours=50), tick=False):
        assert obligation_reminders_sweep() == 4  # 12h, 4h, 1h and the overdue alert
    assert notice(at_t0, org).obligation.status == "open"


def test_no_reminder_once_the_notice_is_delivered(org, legal, at_t0):
    with time_machine.travel(T0 + dt.timedelta(hours=30), tick=False):
        assert obligation_reminders_sweep() == 1  # the 24h stage
        send_and_deliver(notice(at_t0, org), legal)
    with time_machine.travel(T0 + dt.timedelta(hours=50), tick=False):
        assert obligation_reminders_sweep() == 0
    assert list(ObligationReminder.objects.values_list("stage", flat=True)) == ["24h"]


# --- resend after a failure -------------------------------------------------------------------------------


@pytest.fixture
def failed_notice(org, legal, settings, at_t0):
    settings.EMAIL_BACKEND = FAILING
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        n = breach_notification_send(notification=notice(at_t0, org), actor=legal)
        refuse_every_attempt(n.email_id)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return notice(at_t0, org)


def test_resend_to_another_address(org, legal, failed_notice, mailoutbox):
    first_email = failed_notice.email_id
    # when legal staff resend it to another address
    with time_machine.travel(T0 + dt.timedelta(hours=3), tick=False):
        n = breach_notification_resend(notification=failed_notice, to="soc@acme-backup.example", actor=legal)
    # then a new email row carries it and the notification is queued again
    assert n.status == "queued"
    assert n.email_id != first_email
    assert n.recipient_email == "soc@acme-backup.example"
    assert n.queued_at == T0 + dt.timedelta(hours=3)
    assert OutboundEmail.objects.filter(template="breach_notice").count() == 2
    assert OutboundEmail.objects.get(pk=first_email).status == "failed"
    resent = AuditEvent.objects.get(action="breach.notification_resent")
    assert resent.details["to"] == "soc@acme-backup.example"
    assert resent.details["previous_to"] == org.breach_contact_email
    assert resent.actor_label == legal.email
    assert notice(failed_notice.incident, org).obligation.status == "open"
    # and once delivered, it notifies
    with time_machine.travel(T0 + dt.timedelta(hours=3, minutes=1), tick=False):
        n = deliver(n)
    assert n.outcome == "delivered_on_time"
    assert mailoutbox[-1].to == ["soc@acme-backup.example"]
    assert n.obligation.status == "completed"
    # the old row failing again (e.g. retried from the outbox) changes nothing
    notice_failed(OutboundEmail.objects.get(pk=first_email))
    assert notice(n.incident, org).status == "delivered"


def test_resend_only_after_a_failure_and_to_a_valid_address(org, legal, failed_notice):
    with pytest.raises(ApplicationError, match=RESEND_BAD_ADDRESS):
        breach_notification_resend(notification=failed_notice, to="not an address", actor=legal)
    n = breach_notification_resend(notification=failed_notice, to=org.breach_contact_email, actor=legal)
    with pytest.raises(ApplicationError, match=RESEND_NOT_FAILED):
        breach_notification_resend(notification=n, to="other@acme.example", actor=legal)
    assert OutboundEmail.objects.filter(template="breach_notice").count() == 2


def test_drafted_notices_cannot_be_resent(org, legal, at_t0):
    with pytest.raises(ApplicationError, match=RESEND_NOT_FAILED):
        breach_notification_resend(notification=notice(at_t0, org), to="x@acme.example", actor=legal)
    assert OutboundEmail.objects.count() == 0


# --- contents ---------------------------------------------------------------------------------------------


def test_sending_is_refused_while_a_block_is_empty(org, legal, mailoutbox):
    incident = make_incident(organisations=[org], empty=("consequences",), actor=legal)
    n = notice(incident, org)
    with pytest.raises(ApplicationError) as exc:
        breach_notification_send(notification=n, actor=legal)
    assert "(iii) Established and expected consequences" in exc.value.message
    n.refresh_from_db()
    assert n.status == "drafted"
    assert n.queued_at is None
    assert OutboundEmail.objects.count() == 0
    assert not AuditEvent.objects.filter(action="breach.notification_queued").exists()


@pytest.mark.parametrize(
    "change",
    [
        {"nature": "", "nature_pending": True},  # "will follow" is not enough for (i)
        {"nature": "Logs of API requests were readable by others.", "nature_pending": True},
        {"nature": "", "nature_pending": True, "data": "", "data_pending": True},
    ],
)
def test_first_notice_needs_the_nature_described(org, legal, change):
    incident = make_incident(organisations=[org], actor=legal, pending=("consequences", "measures"), **change)
    with pytest.raises(ApplicationError) as exc:
        breach_notification_send(notification=notice(incident, org), actor=legal)
    assert exc.value.message == NATURE_REQUIRED
    assert OutboundEmail.objects.count() == 0


def test_nature_text_needs_a_minimum_length(org, legal):
    with pytest.raises(ApplicationError) as exc:
        make_incident(organisations=[org], actor=legal, nature="x")
    assert exc.value.message == NATURE_TOO_SHORT
    assert exc.value.field == "nature"
    assert BreachIncident.objects.count() == 0
    incident = make_incident(organisations=[org], actor=legal)
    with pytest.raises(ApplicationError, match="at least 30 characters"):
        breach_incident_update(incident=incident, actor=legal, data={"nature": "   Short   text   "})
    # 30 characters (whitespace collapsed) is enough
    breach_incident_update(incident=incident, actor=legal, data={"nature": "A" * 29 + "   B"})


def test_no_contact_point_no_notice(org, legal, settings):
    settings.PORTAL_DPO_EMAIL = ""
    incident = make_incident(organisations=[org], actor=legal)
    with pytest.raises(ApplicationError, match="PORTAL_DPO_EMAIL"):
        breach_notification_send(notification=notice(incident, org), actor=legal)
    assert NO_CONTACT_POINT.startswith("No privacy/DPO contact point")


def test_notice_and_updates_name_the_contact_point_and_pending_blocks(org, legal, settings, run_on_commit, mailoutbox):
    settings.PORTAL_DPO_NAME = "Mara Jansen, DPO"
    settings.PORTAL_DPO_EMAIL = "dpo@routewise.example"
    settings.PORTAL_DPO_PHONE = "+31 20 555 0123"
    incident = make_incident(organisations=[org], pending=("consequences", "measures"), actor=legal)
    run_on_commit(breach_notification_send, notification=notice(incident, org), actor=legal)
    run_on_commit(breach_followup_send, incident=incident, message="Scope confirmed.", actor=legal)
    assert len(mailoutbox) == 2
    for message in mailoutbox:
        assert "Mara Jansen, DPO, dpo@routewise.example, +31 20 555 0123" in message.body
        assert "GDPR Art. 33(3)(b)" in message.body
    body = mailoutbox[0].body
    assert mailoutbox[0].to == [org.breach_contact_email]
    pending_part = body.split("STILL PENDING")[1]
    assert "(iii) Established and expected consequences" in pending_part
    assert "(iv) Measures taken and planned" in pending_part
    assert "(i) Nature" not in pending_part
    assert "API request logs of about 1,200 end users." in body
    assert body.count("Not yet known — will follow") == 2
    assert notice(incident, org).pending_at_send == ["consequences", "measures"]
    queued = AuditEvent.objects.get(action="breach.notification_queued")
    assert queued.details["contact_point"]["email"] == "dpo@routewise.example"


def test_fallback_to_privacy_contact_is_flagged(legal, run_on_commit, mailoutbox):
    org = OrganisationFactory(breach_contact_email="", privacy_contact_email="privacy@fallback.example")
    incident = make_incident(organisations=[org], actor=legal)
    n = notice(incident, org)
    assert n.recipient_is_fallback is True
    assert n.recipient_email == "privacy@fallback.example"
    run_on_commit(breach_notification_send, notification=n, actor=legal)
    assert mailoutbox[0].to == ["privacy@fallback.example"]
    event = AuditEvent.objects.get(action="breach.notification_queued")
    assert event.details["recipient_is_fallback"] is True
    assert notice(incident, org).status == "delivered"


def test_organisation_without_any_contact_cannot_be_sent_to(legal):
    org = OrganisationFactory(breach_contact_email="", privacy_contact_email="")
    incident = make_incident(organisations=[org], actor=legal)
    with pytest.raises(ApplicationError, match=NO_CONTACT.format(org=org.name)):
        breach_notification_send(notification=notice(incident, org), actor=legal)


def test_notification_is_sent_once(org, legal, run_on_commit, mailoutbox):
    incident = make_incident(organisations=[org], actor=legal)
    run_on_commit(breach_notification_send, notification=notice(incident, org), actor=legal)
    with pytest.raises(
        ApplicationError, match=re.escape(ALREADY_SENT.format(org=org.name, status="delivered on time"))
    ):
        breach_notification_send(notification=notice(incident, org), actor=legal)
    assert len(mailoutbox) == 1
    n = notice(incident, org)
    assert n.obligation.status == "completed"
    assert n.obligation.completed_at == n.delivered_at


def test_send_all_is_all_or_nothing(org, legal, mailoutbox):
    nobody = OrganisationFactory(breach_contact_email="", privacy_contact_email="")
    incident = make_incident(organisations=[org, nobody], actor=legal)
    with pytest.raises(ApplicationError):
        breach_notifications_send_all(incident=incident, actor=legal)
    assert not BreachNotification.objects.exclude(status="drafted").exists()
    assert OutboundEmail.objects.count() == 0


# --- follow-ups -------------------------------------------------------------------------------------------


def test_followups_are_numbered_delivered_and_audited(org, other_org, legal, run_on_commit, mailoutbox):
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
    # then only the notified organisation got them, numbered 1 and 2, each delivered with its own Message-ID
    followups = list(BreachFollowUp.objects.order_by("number"))
    assert [(f.notification.organisation, f.number) for f in followups] == [(org, 1), (org, 2)]
    assert [f.status for f in followups] == ["delivered", "delivered"]
    assert [f.delivered_message_id for f in followups] == [f.email.message_id for f in followups]
    assert len({f.delivered_message_id for f in followups}) == 2
    assert [m.subject.split(" on ")[0] for m in mailoutbox[1:]] == ["Update 1", "Update 2"]
    assert "All required information has now been provided." in mailoutbox[1].body
    assert "Phishing risk; no financial data." in mailoutbox[1].body
    events = AuditEvent.objects.filter(action="breach.followup_queued").order_by("id")
    assert [e.details["number"] for e in events] == [1, 2]
    assert actions(action="breach.followup_delivered") == ["breach.followup_delivered"] * 2
    # the notice's own delivery was recorded once, by the notice's email, not by the updates
    assert actions(action="breach.notification_delivered") == ["breach.notification_delivered"]


def test_a_failed_update_is_recorded_and_alerts_the_legal_lead(org, legal, settings, at_t0):
    send_and_deliver(notice(at_t0, org), legal)
    settings.EMAIL_BACKEND = FAILING
    [followup] = breach_followup_send(incident=at_t0, message="Scope widened.", actor=legal)
    refuse_every_attempt(followup.email_id)
    followup.refresh_from_db()
    assert followup.status == "failed"
    assert followup.delivered_at is None
    alert = OutboundEmail.objects.get(template="breach_delivery_failed")
    assert alert.subject == f"DELIVERY FAILED: breach update 1 to {org.name} was not delivered"
    # the notice itself stays delivered
    assert notice(at_t0, org).status == "delivered"


def test_updates_go_to_queued_and_delivered_notices_not_to_drafted_or_failed(org, other_org, legal, settings, at_t0):
    third = OrganisationFactory(name="Initech")
    breach_organisations_add(incident=at_t0, actor=legal, organisations=[other_org, third])
    breach_notification_send(notification=notice(at_t0, org), actor=legal)  # queued
    settings.EMAIL_BACKEND = FAILING
    failed = breach_notification_send(notification=notice(at_t0, other_org), actor=legal)
    refuse_every_attempt(failed.email_id)
    followups = breach_followup_send(incident=at_t0, message="More known.", actor=legal)
    assert [f.notification.organisation for f in followups] == [org]


def test_legacy_update_email_about_the_notification_is_recorded_on_the_update(org, legal, at_t0):
    # updates queued before delivery was tracked point at their notification, not at the update
    n = send_and_deliver(notice(at_t0, org), legal)
    [followup] = breach_followup_send(incident=at_t0, message="Old style.", actor=legal)
    OutboundEmail.objects.filter(pk=followup.email_id).update(ref_type="breaches.BreachNotification", ref_id=str(n.pk))
    assert outbox_deliver(email_id=followup.email_id) == "sent"
    followup.refresh_from_db()
    assert followup.status == "delivered"
    assert notice(at_t0, org).delivered_message_id == n.delivered_message_id  # the notice's delivery is unchanged


# --- acknowledgement --------------------------------------------------------------------------------------


def test_acknowledgement_only_after_delivery_and_once(org, legal, member, at_t0):
    n = breach_notification_send(notification=notice(at_t0, org), actor=legal)
    # queued: the controller cannot have received it; neither the portal nor the link accepts it
    with pytest.raises(ApplicationError, match=ACK_INVALID):
        breach_acknowledge(notification=n, via="portal", actor=member)
    token = breach_ack_url(n).rsplit("/breach-ack/", 1)[1].strip("/")
    with pytest.raises(ApplicationError, match=ACK_INVALID):
        breach_notification_from_token(token)
    with time_machine.travel(T0 + dt.timedelta(hours=2), tick=False):
        n = deliver(n)
    assert breach_notification_from_token(token) == n
    n, changed = breach_acknowledge(notification=n, via="portal", actor=member)
    assert changed is True
    assert n.status == "acknowledged"
    assert n.on_time is True
    assert n.status_label == "Acknowledged (delivered on time)"
    first = n.acknowledged_at
    n, changed = breach_acknowledge(notification=n, via="link", actor=Actor(label="x"))
    assert changed is False
    assert n.acknowledged_at == first
    assert n.acknowledged_via == "portal"
    assert AuditEvent.objects.filter(action="breach.notification_acknowledged").count() == 1


# --- awareness time ---------------------------------------------------------------------------------------


def test_awareness_moved_later_after_delivery_is_refused(org, legal, at_t0):
    with time_machine.travel(T0 + dt.timedelta(hours=2), tick=False):
        send_and_deliver(notice(at_t0, org), legal)
        with pytest.raises(ApplicationError) as exc:
            breach_incident_update(
                incident=at_t0,
                actor=legal,
                data={"aware_at": T0 + dt.timedelta(hours=1)},
                awareness_reason="Entered the wrong hour.",
            )
    assert exc.value.message == AWARE_LOCKED.format(why=AWARE_LOCKED_SENT)
    assert exc.value.field == "aware_at"
    incident = BreachIncident.objects.get(pk=at_t0.pk)
    assert incident.aware_at == incident.earliest_aware_at == T0
    assert not incident.awareness_changes.exists()


def test_at_60_hours_moving_awareness_to_59_hours_ago_is_refused(org, legal, at_t0):
    # given nothing was delivered and the deadline passed 12 hours ago
    now = T0 + dt.timedelta(hours=60)
    with time_machine.travel(now, tick=False):
        with pytest.raises(ApplicationError) as exc:
            breach_incident_update(
                incident=at_t0,
                actor=legal,
                data={"aware_at": now - dt.timedelta(hours=59)},
                awareness_reason="We only knew an hour later.",
            )
        assert exc.value.message == AWARE_LOCKED.format(why=AWARE_LOCKED_DEADLINE)
        # then nothing moved: the notice is still overdue and, sent now, would be late
        n = deliver(breach_notification_send(notification=notice(at_t0, org), actor=legal))
    assert n.deadline == DEADLINE
    assert n.outcome == "delivered_late"
    assert not actions(action="breach.awareness_changed")


def test_moving_earlier_with_a_reason_recomputes_every_deadline(org, legal, at_t0):
    # given a notice delivered at 47h59m from the recorded awareness time: on time
    with time_machine.travel(T0 + dt.timedelta(hours=47, minutes=59), tick=False):
        n = send_and_deliver(notice(at_t0, org), legal)
    assert n.outcome == "delivered_on_time"
    # when we later find out we knew two hours sooner
    with time_machine.travel(T0 + dt.timedelta(days=3), tick=False):
        breach_incident_update(
            incident=at_t0,
            actor=legal,
            data={"aware_at": T0 - dt.timedelta(hours=2)},
            awareness_reason="The on-call log shows the alert was seen at 06:00.",
        )
    # then the deadline is recomputed from the earlier time and the record says late
    incident = BreachIncident.objects.get(pk=at_t0.pk)
    assert incident.aware_at == incident.earliest_aware_at == T0 - dt.timedelta(hours=2)
    n = notice(incident, org)
    assert n.deadline == DEADLINE - dt.timedelta(hours=2)
    assert n.outcome == "delivered_late"
    assert n.margin == -dt.timedelta(hours=1, minutes=59)
    assert n.obligation.due_at == n.deadline
    [change] = incident.awareness_changes.all()
    assert (change.before, change.after, change.earliest_after) == (
        T0,
        T0 - dt.timedelta(hours=2),
        T0 - dt.timedelta(hours=2),
    )
    assert change.after_notice is True
    assert change.reason == "The on-call log shows the alert was seen at 06:00."
    assert change.changed_by == legal
    event = AuditEvent.objects.get(action="breach.awareness_changed")
    assert event.details["reason"] == change.reason
    assert event.details["fixed"] == AWARE_LOCKED_SENT
    assert AuditEvent.objects.filter(action="obligation.rescheduled").count() == 1


def test_a_change_of_awareness_needs_a_reason(org, legal, at_t0):
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False), pytest.raises(ApplicationError) as exc:
        breach_incident_update(
            incident=at_t0, actor=legal, data={"aware_at": T0 - dt.timedelta(hours=1)}, awareness_reason="  "
        )
    assert exc.value.message == AWARE_REASON_REQUIRED
    assert exc.value.field == "awareness_reason"
    assert BreachIncident.objects.get(pk=at_t0.pk).aware_at == T0


def test_before_anything_is_sent_awareness_may_be_corrected_either_way(org, legal, at_t0):
    with time_machine.travel(T0 + dt.timedelta(hours=10), tick=False):
        # earlier: the deadline follows
        breach_incident_update(
            incident=at_t0, actor=legal, data={"aware_at": T0 - dt.timedelta(hours=1)}, awareness_reason="Typo."
        )
        assert notice(at_t0, org).deadline == DEADLINE - dt.timedelta(hours=1)
        # later: the stated time changes, the deadline stays at the earliest time ever recorded
        breach_incident_update(
            incident=at_t0, actor=legal, data={"aware_at": T0 + dt.timedelta(hours=3)}, awareness_reason="Checked."
        )
    incident = BreachIncident.objects.get(pk=at_t0.pk)
    assert incident.aware_at == T0 + dt.timedelta(hours=3)
    assert incident.earliest_aware_at == T0 - dt.timedelta(hours=1)
    n = notice(incident, org)
    assert n.deadline == DEADLINE - dt.timedelta(hours=1)
    assert n.obligation.due_at == n.deadline
    assert [c.after_notice for c in incident.awareness_changes.all()] == [False, False]


def test_awareness_is_fixed_once_a_notice_is_queued(org, legal, at_t0):
    # the queued email states the awareness time: the record may not then contradict it
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        breach_notification_send(notification=notice(at_t0, org), actor=legal)
        with pytest.raises(ApplicationError, match="a notification was already sent"):
            breach_incident_update(
                incident=at_t0,
                actor=legal,
                data={"aware_at": T0 + dt.timedelta(minutes=30)},
                awareness_reason="Later.",
            )


def test_later_notices_state_corrections_made_after_notices_went_out(org, legal, run_on_commit, mailoutbox):
    with time_machine.travel(T0, tick=False):
        incident = make_incident(organisations=[org], aware_at=T0, actor=legal)
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        run_on_commit(breach_notification_send, notification=notice(incident, org), actor=legal)
        breach_incident_update(
            incident=incident,
            actor=legal,
            data={"aware_at": T0 - dt.timedelta(hours=1)},
            awareness_reason="Monitoring alerted an hour earlier.",
        )
        run_on_commit(breach_followup_send, incident=incident, message="Awareness time corrected.", actor=legal)
    update = mailoutbox[-1].body
    assert "We became aware of the breach on: 2026-06-01 07:00 UTC" in update
    assert "from 2026-06-01 08:00 UTC to 2026-06-01 07:00 UTC. Reason: Monitoring alerted an hour earlier." in update


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL only")
def test_the_database_refuses_a_later_earliest_awareness_or_a_changed_delivery(org, legal, at_t0):
    with pytest.raises(DatabaseError, match="can only move earlier"), transaction.atomic():
        BreachIncident.objects.filter(pk=at_t0.pk).update(
            earliest_aware_at=T0 + dt.timedelta(hours=1), aware_at=T0 + dt.timedelta(hours=1)
        )
    n = send_and_deliver(notice(at_t0, org), legal)
    with (
        pytest.raises(DatabaseError, match=r"a recorded delivery \(time and Message-ID\) cannot change"),
        transaction.atomic(),
    ):
        BreachNotification.objects.filter(pk=n.pk).update(delivered_at=n.deadline)


# --- scope and reminders ----------------------------------------------------------------------------------


def test_all_customers_scope_and_adding_later(org, other_org, legal):
    incident = make_incident(organisations=[org], actor=legal)
    added = breach_organisations_add(incident=incident, actor=legal, scope="all")
    assert [n.organisation for n in added] == [other_org]
    assert incident.notifications.count() == 2
    # adding again changes nothing
    assert breach_organisations_add(incident=incident, actor=legal, scope="all") == []


def test_organisations_added_later_are_due_from_the_earliest_awareness(org, other_org, legal, at_t0):
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        breach_incident_update(
            incident=at_t0, actor=legal, data={"aware_at": T0 + dt.timedelta(minutes=30)}, awareness_reason="x"
        )
        [added] = breach_organisations_add(incident=at_t0, actor=legal, organisations=[other_org])
    assert added.deadline == DEADLINE


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
    from tests.listing.factories import make_subprocessor

    sp = make_subprocessor(at=timezone.now() - dt.timedelta(days=30))
    incident = make_incident(organisations=[], scope="subprocessor", subprocessor=sp, actor=legal)
    assert incident.subprocessor == sp
    assert {n.organisation for n in incident.notifications.all()} == {org, other_org}
    assert AuditEvent.objects.get(action="breach.incident_created").details["subprocessor"] == sp.slug


def test_subprocessor_scope_needs_one_on_the_list_that_day(org, legal):
    from dpa.breaches.services import SUBPROCESSOR_REQUIRED
    from tests.listing.factories import make_subprocessor

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
