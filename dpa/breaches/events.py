"""Audit events of the breach register: incidents, their awareness time, and each notification's and update's
way from queued to delivered (or failed) and acknowledged. Every row carries the incident's id in
`details["incident"]`, which is how the incident's timeline finds them."""

from django.conf import settings
from django.http import HttpRequest

from dpa.breaches.models import BreachAwarenessChange, BreachFollowUp, BreachIncident, BreachNotification
from portal.audit.event_types import event_type
from portal.audit.models import AuditEvent
from portal.audit.services import Actor, AuditActor, audit_record
from portal.delivery.models import OutboundEmail

BREACH_INCIDENT_CREATED = event_type("breach.incident_created", "Breach incident recorded")
BREACH_INCIDENT_UPDATED = event_type("breach.incident_updated", "Breach incident updated")
BREACH_AWARENESS_CHANGED = event_type("breach.awareness_changed", "Breach awareness time changed")
BREACH_NOTIFICATION_CREATED = event_type("breach.notification_created", "Breach notification drafted")
BREACH_NOTIFICATION_QUEUED = event_type("breach.notification_queued", "Breach notification sent")
BREACH_NOTIFICATION_RESENT = event_type("breach.notification_resent", "Breach notification sent again")
BREACH_NOTIFICATION_DELIVERED = event_type("breach.notification_delivered", "Breach notification delivered")
BREACH_NOTIFICATION_FAILED = event_type("breach.notification_failed", "Breach notification delivery failed")
BREACH_NOTIFICATION_ACKNOWLEDGED = event_type("breach.notification_acknowledged", "Breach notification acknowledged")
BREACH_FOLLOWUP_QUEUED = event_type("breach.followup_queued", "Breach update sent")
BREACH_FOLLOWUP_DELIVERED = event_type("breach.followup_delivered", "Breach update delivered")
BREACH_FOLLOWUP_FAILED = event_type("breach.followup_failed", "Breach update delivery failed")

DELIVERED_BY = Actor(label="outbox: the mail server accepted the email")
FAILED_BY = Actor(label="outbox: the mail server refused every attempt")


# --- Incidents ---------------------------------------------------------------------------------


def breach_incident_created(
    *, incident: BreachIncident, after: dict, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    """`after`: the incident's editable fields as recorded (the awareness time is added here)."""
    return audit_record(
        action=BREACH_INCIDENT_CREATED.action,
        actor=actor,
        target=incident,
        request=request,
        details={
            "incident": incident.pk,
            "after": {**after, "aware_at": incident.aware_at},
            "scope": incident.scope,
            "subprocessor": incident.subprocessor.slug if incident.subprocessor else "",
        },
    )


def breach_incident_updated(
    *, incident: BreachIncident, changes: dict, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    """`changes`: the before/after diff of the edited fields."""
    return audit_record(
        action=BREACH_INCIDENT_UPDATED.action,
        actor=actor,
        target=incident,
        request=request,
        details={"incident": incident.pk, **changes},
    )


def breach_awareness_changed(
    *, change: BreachAwarenessChange, fixed: str, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    """`fixed`: why the awareness time could only move earlier ("" when it could move either way)."""
    return audit_record(
        action=BREACH_AWARENESS_CHANGED.action,
        actor=actor,
        target=change.incident,
        request=request,
        details={
            "incident": change.incident_id,
            "before": change.before,
            "after": change.after,
            "earliest_before": change.earliest_before,
            "earliest_after": change.earliest_after,
            "reason": change.reason,
            "fixed": fixed,
        },
    )


# --- Notifications -----------------------------------------------------------------------------


def breach_notification_created(
    *, notification: BreachNotification, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    return audit_record(
        action=BREACH_NOTIFICATION_CREATED.action,
        actor=actor,
        target=notification,
        organisation=notification.organisation,
        request=request,
        details={
            "incident": notification.incident_id,
            "deadline": notification.deadline,
            "recipient": notification.recipient_email,
            "recipient_is_fallback": notification.recipient_is_fallback,
        },
    )


def breach_notification_queued(
    *,
    notification: BreachNotification,
    row: OutboundEmail,
    contact_point: dict,
    actor: AuditActor,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """The first notice went to the outbox (`row`), with exactly what it says (`contents`) and whom to contact."""
    return audit_record(
        action=BREACH_NOTIFICATION_QUEUED.action,
        actor=actor,
        target=notification,
        organisation=notification.organisation,
        request=request,
        details={
            "incident": notification.incident_id,
            "to": notification.recipient_email,
            "recipient_is_fallback": notification.recipient_is_fallback,
            "deadline": notification.deadline,
            "queued_at": notification.queued_at,
            "email": row.pk,
            "message_id": row.message_id,
            "pending_blocks": notification.pending_at_send,
            "contents": notification.incident.blocks(),
            "contact_point": contact_point,
        },
    )


def breach_notification_resent(
    *,
    notification: BreachNotification,
    row: OutboundEmail,
    previous_to: str,
    failed_email_id: int | None,
    actor: AuditActor,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """A failed notice went out again as a new email (`row`; `previous_to`: the address that refused it)."""
    return audit_record(
        action=BREACH_NOTIFICATION_RESENT.action,
        actor=actor,
        target=notification,
        organisation=notification.organisation,
        request=request,
        details={
            "incident": notification.incident_id,
            "to": notification.recipient_email,
            "previous_to": previous_to,
            "failed_email": failed_email_id,
            "email": row.pk,
            "message_id": row.message_id,
            "queued_at": notification.queued_at,
            "deadline": notification.deadline,
            "pending_blocks": notification.pending_at_send,
            "contents": notification.incident.blocks(),
        },
    )


def breach_notification_delivered(*, notification: BreachNotification, row: OutboundEmail) -> AuditEvent:
    return audit_record(
        action=BREACH_NOTIFICATION_DELIVERED.action,
        actor=DELIVERED_BY,
        target=notification,
        organisation=notification.organisation,
        details={
            "incident": notification.incident_id,
            "to": row.to_email,
            "email": row.pk,
            "delivered_at": notification.delivered_at,
            "message_id": row.message_id,
            "deadline": notification.deadline,
            "on_time": notification.on_time,
        },
    )


def breach_notification_failed(*, notification: BreachNotification, row: OutboundEmail) -> AuditEvent:
    """Every attempt was refused; the legal lead was alerted."""
    return audit_record(
        action=BREACH_NOTIFICATION_FAILED.action,
        actor=FAILED_BY,
        target=notification,
        organisation=notification.organisation,
        details={
            "incident": notification.incident_id,
            "to": row.to_email,
            "email": row.pk,
            "attempts": row.attempts,
            "error": row.last_error,
            "deadline": notification.deadline,
            "alerted": settings.PORTAL_LEGAL_LEAD_EMAIL,
        },
    )


def breach_notification_acknowledged(
    *, notification: BreachNotification, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    return audit_record(
        action=BREACH_NOTIFICATION_ACKNOWLEDGED.action,
        actor=actor,
        target=notification,
        organisation=notification.organisation,
        request=request,
        details={
            "incident": notification.incident_id,
            "via": notification.acknowledged_via,
            "acknowledged_at": notification.acknowledged_at,
        },
    )


# --- Follow-ups (recorded against their notification) ------------------------------------------


def breach_followup_queued(
    *,
    followup: BreachFollowUp,
    incident: BreachIncident,
    to: str,
    actor: AuditActor,
    request: HttpRequest | None = None,
) -> AuditEvent:
    notification = followup.notification
    return audit_record(
        action=BREACH_FOLLOWUP_QUEUED.action,
        actor=actor,
        target=notification,
        organisation=notification.organisation,
        request=request,
        details={
            "incident": incident.pk,
            "number": followup.number,
            "to": to,
            "email": followup.email_id,
            "message_id": followup.email.message_id if followup.email else "",
            "message": followup.message,
            "pending_blocks": [b["key"] for b in incident.pending_blocks()],
            "contents": followup.contents,
        },
    )


def breach_followup_delivered(*, followup: BreachFollowUp, row: OutboundEmail) -> AuditEvent:
    notification = followup.notification
    return audit_record(
        action=BREACH_FOLLOWUP_DELIVERED.action,
        actor=DELIVERED_BY,
        target=notification,
        organisation=notification.organisation,
        details={
            "incident": notification.incident_id,
            "number": followup.number,
            "to": row.to_email,
            "email": row.pk,
            "delivered_at": followup.delivered_at,
            "message_id": row.message_id,
        },
    )


def breach_followup_failed(*, followup: BreachFollowUp, row: OutboundEmail) -> AuditEvent:
    """Every attempt was refused; the legal lead was alerted."""
    notification = followup.notification
    return audit_record(
        action=BREACH_FOLLOWUP_FAILED.action,
        actor=FAILED_BY,
        target=notification,
        organisation=notification.organisation,
        details={
            "incident": notification.incident_id,
            "number": followup.number,
            "to": row.to_email,
            "email": row.pk,
            "error": row.last_error,
            "alerted": settings.PORTAL_LEGAL_LEAD_EMAIL,
        },
    )
