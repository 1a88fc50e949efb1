"""Audit events of the delivery engine."""

from django.http import HttpRequest

from portal.audit.event_types import event_type
from portal.audit.models import AuditEvent
from portal.audit.services import AuditActor, audit_record
from portal.delivery.models import OutboundEmail

OUTBOX_RETRY = event_type("outbox.retry", "Failed email retried")


def outbox_email_retried(*, email: OutboundEmail, actor: AuditActor, request: HttpRequest | None = None) -> AuditEvent:
    return audit_record(
        action=OUTBOX_RETRY.action, actor=actor, target=email, request=request, details={"to": email.to_email}
    )
