"""Existing breach notices and updates: a notice counts as delivered only if its outbox email was accepted by
the mail server (`sent`), with that email's time and Message-ID; a failed email makes it `failed`; anything else
is `queued`. The obligation follows: completed at the delivery time with the Message-ID as evidence, or reopened
when it had been completed by merely queueing the email. Each corrected notice gets an audit event."""

import datetime as dt

from django.db import migrations
from django.db.models import F


def _email_for(Email, key: str, ref_type: str = "", ref_id: int = 0, template: str = ""):
    email = Email.objects.filter(idempotency_key=key).first()
    if email is None and template:
        email = Email.objects.filter(ref_type=ref_type, ref_id=str(ref_id), template=template).order_by("-pk").first()
    return email


def _outcome(row, email, *, delivered_status: str) -> str:
    if email is not None and email.status == "sent" and email.sent_at is not None:
        row.status = delivered_status
        row.delivered_at = email.sent_at
        row.delivered_message_id = email.message_id
    elif email is not None and email.status == "failed":
        row.status = "failed"
        row.failed_at = email.updated_at
        row.failure_reason = email.last_error
    else:
        row.status = "queued"
    return row.status


def forwards(apps, schema_editor):
    Incident = apps.get_model("dpa", "BreachIncident")
    Notification = apps.get_model("dpa", "BreachNotification")
    FollowUp = apps.get_model("dpa", "BreachFollowUp")
    Obligation = apps.get_model("dpa", "Obligation")
    Email = apps.get_model("portal", "OutboundEmail")
    Incident.objects.filter(earliest_aware_at__isnull=True).update(earliest_aware_at=F("aware_at"))

    events = []
    fields = ["status", "email", "delivered_at", "delivered_message_id", "failed_at", "failure_reason"]
    for n in Notification.objects.filter(queued_at__isnull=False).order_by("pk"):
        email = _email_for(Email, f"breach-notice:{n.pk}", "dpa.BreachNotification", n.pk, "dpa/breach_notice")
        n.email = email
        delivered = "acknowledged" if n.acknowledged_at else "delivered"
        status = _outcome(n, email, delivered_status=delivered)
        n.save(update_fields=fields)
        obligation_change = {}
        obligation = Obligation.objects.filter(pk=n.obligation_id).first()
        if obligation is not None:
            before = {
                "status": obligation.status,
                "completed_at": obligation.completed_at,
                "evidence": obligation.evidence,
            }
            if n.delivered_at is not None:
                obligation.status = "completed"
                obligation.completed_at = n.delivered_at
                obligation.evidence = (
                    f"Breach notification delivered to {email.to_email} at "
                    f"{n.delivered_at.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC (Message-ID {n.delivered_message_id})."
                )
            elif obligation.status == "completed":
                # It had been completed when the email was merely queued: the duty is still open.
                obligation.status = "open"
                obligation.completed_at = None
                obligation.completed_by = None
                obligation.evidence = ""
            obligation.save(update_fields=["status", "completed_at", "completed_by", "evidence", "updated_at"])
            after = {
                "status": obligation.status,
                "completed_at": obligation.completed_at,
                "evidence": obligation.evidence,
            }
            if before != after:
                obligation_change = {"obligation": obligation.pk, "before": before, "after": after}
        events.append(
            {
                "action": "breach.notification_migrated",
                "target_type": "dpa.BreachNotification",
                "target_id": n.pk,
                "organisation": n.organisation_id,
                "details": {
                    "incident": n.incident_id,
                    "status": status,
                    "email": email.pk if email else None,
                    "email_status": email.status if email else None,
                    "delivered_at": n.delivered_at,
                    "message_id": n.delivered_message_id,
                    "deadline": n.deadline,
                    "on_time": None if n.delivered_at is None else n.delivered_at <= n.deadline,
                    **({"obligation_change": obligation_change} if obligation_change else {}),
                },
            }
        )
    for f in FollowUp.objects.select_related("notification").order_by("pk"):
        email = _email_for(Email, f"breach-followup:{f.pk}")
        f.email = email
        status = _outcome(f, email, delivered_status="delivered")
        f.save(update_fields=fields)
        events.append(
            {
                "action": "breach.followup_migrated",
                "target_type": "dpa.BreachNotification",
                "target_id": f.notification_id,
                "organisation": f.notification.organisation_id,
                "details": {
                    "incident": f.notification.incident_id,
                    "number": f.number,
                    "status": status,
                    "email": email.pk if email else None,
                    "delivered_at": f.delivered_at,
                    "message_id": f.delivered_message_id,
                },
            }
        )
    if events:
        # The audit chain is written by one function (it hashes and links each row); an empty database, such as
        # a fresh install or the test database, never reaches this import.
        from portal.services.audit import Actor, audit_record

        actor = Actor(label="migration dpa.0007 (delivery is what notifies)")
        for event in events:
            audit_record(actor=actor, **event)


class Migration(migrations.Migration):
    dependencies = [("dpa", "0007_breach_delivery_schema")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
