"""Data migration dpa.0008: notices recorded as "sent" before delivery was tracked become delivered only if their
email was accepted by the mail server, with that email's time and Message-ID."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from portal.models import AuditEvent, OutboundEmail
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = [("dpa", "0006_execution_annex_as_signed")]
# the latest dpa migration, so the test leaves the schema (and its triggers) as every other test expects it
AFTER = [("dpa", "0010_evidence_triggers")]
AWARE = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
QUEUED = AWARE + dt.timedelta(hours=2)
ACCEPTED = AWARE + dt.timedelta(hours=2, minutes=1)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _email(key, status, **fields):
    return OutboundEmail.objects.create(
        idempotency_key=key, to_email="soc@acme.example", subject="S", body_text="B", status=status, **fields
    )


def test_old_sent_notices_become_delivered_only_when_their_email_was_sent():
    old = _migrate(BEFORE)
    try:
        Incident = old.get_model("dpa", "BreachIncident")
        Notification = old.get_model("dpa", "BreachNotification")
        FollowUp = old.get_model("dpa", "BreachFollowUp")
        Obligation = old.get_model("dpa", "Obligation")
        incident = Incident.objects.create(title="Old", aware_at=AWARE)
        rows = {}
        for name in ("sent", "failed", "queued", "acknowledged", "unsent"):
            org = OrganisationFactory(name=name)
            obligation = Obligation.objects.create(
                kind="breach_notification",
                organisation_id=org.pk,
                title="Breach notification: Old",
                received_at=AWARE,
                due_at=AWARE + dt.timedelta(hours=48),
                status="open" if name == "unsent" else "completed",
                completed_at=None if name == "unsent" else QUEUED,
                evidence="" if name == "unsent" else "Breach notification emailed to soc@acme.example at …",
            )
            rows[name] = Notification.objects.create(
                incident=incident,
                organisation_id=org.pk,
                deadline=AWARE + dt.timedelta(hours=48),
                recipient_email="soc@acme.example",
                sent_at=None if name == "unsent" else QUEUED,
                acknowledged_at=ACCEPTED if name == "acknowledged" else None,
                acknowledged_via="link" if name == "acknowledged" else "",
                obligation=obligation,
            )
        emails = {
            "sent": _email(f"breach-notice:{rows['sent'].pk}", "sent", sent_at=ACCEPTED),
            "failed": _email(f"breach-notice:{rows['failed'].pk}", "failed", last_error="SMTPRecipientsRefused"),
            "queued": _email(f"breach-notice:{rows['queued'].pk}", "queued"),
            "acknowledged": _email(f"breach-notice:{rows['acknowledged'].pk}", "sent", sent_at=ACCEPTED),
        }
        followup = FollowUp.objects.create(notification=rows["sent"], number=1, message="More.", sent_at=QUEUED)
        followup_email = _email(f"breach-followup:{followup.pk}", "sent", sent_at=ACCEPTED)
    finally:
        new = _migrate(AFTER)

    Notification = new.get_model("dpa", "BreachNotification")
    notices = {n.organisation.name: n for n in Notification.objects.select_related("organisation", "obligation")}
    sent = notices["sent"]
    assert (sent.status, sent.delivered_at, sent.queued_at) == ("delivered", ACCEPTED, QUEUED)
    assert sent.delivered_message_id == emails["sent"].message_id
    assert sent.email_id == emails["sent"].pk
    assert sent.obligation.completed_at == ACCEPTED
    assert sent.obligation.evidence == (
        f"Breach notification delivered to soc@acme.example at 2026-06-01 10:01:00 UTC "
        f"(Message-ID {emails['sent'].message_id})."
    )
    assert notices["acknowledged"].status == "acknowledged"
    assert notices["acknowledged"].delivered_at == ACCEPTED
    for name in ("failed", "queued"):
        # queueing had completed the obligation: it is open again, and nothing claims a delivery
        n = notices[name]
        assert n.status == name
        assert n.delivered_at is None
        assert (n.obligation.status, n.obligation.completed_at, n.obligation.evidence) == ("open", None, "")
    assert notices["failed"].failure_reason == "SMTPRecipientsRefused"
    assert notices["unsent"].status == "drafted"
    assert new.get_model("dpa", "BreachIncident").objects.get().earliest_aware_at == AWARE
    migrated_followup = new.get_model("dpa", "BreachFollowUp").objects.get()
    assert migrated_followup.status == "delivered"
    assert migrated_followup.delivered_message_id == followup_email.message_id
    events = AuditEvent.objects.filter(action="breach.notification_migrated")
    assert events.count() == 4
    reopened = events.get(target_id=str(notices["failed"].pk))
    assert reopened.details["obligation_change"]["after"]["status"] == "open"
    assert AuditEvent.objects.filter(action="breach.followup_migrated").count() == 1
