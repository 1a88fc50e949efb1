"""Audit events of the delivery engine."""

from django.http import HttpRequest

from portal.audit.event_types import event_type
from portal.audit.models import AuditEvent
from portal.audit.services import AuditActor, audit_record
from portal.delivery.models import ChatAlert, OutboundEmail

OUTBOX_RETRY = event_type("outbox.retry", "Failed email retried")
CHAT_RETRY = event_type("chat.retry", "Failed staff chat alert retried")


def outbox_email_retried(*, email: OutboundEmail, actor: AuditActor, request: HttpRequest | None = None) -> AuditEvent:
    return audit_record(
        action=OUTBOX_RETRY.action, actor=actor, target=email, request=request, details={"to": email.to_email}
    )


def chat_alert_retried(*, alert: ChatAlert, actor: AuditActor, request: HttpRequest | None = None) -> AuditEvent:
    return audit_record(
        action=CHAT_RETRY.action, actor=actor, target=alert, request=request, details={"kind": alert.kind}
    )
