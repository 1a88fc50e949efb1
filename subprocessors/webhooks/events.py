"""Audit events of customer webhooks: registered, removed, a failed delivery retried."""

from django.http import HttpRequest

from portal.audit.event_types import event_type
from portal.audit.models import AuditEvent
from portal.audit.services import AuditActor, audit_record
from subprocessors.webhooks.models import Webhook, WebhookDelivery

WEBHOOK_REGISTERED = event_type("webhook.registered", "Webhook registered")
WEBHOOK_REMOVED = event_type("webhook.removed", "Webhook removed")
WEBHOOK_DELIVERY_RETRIED = event_type("webhook.delivery_retried", "Failed webhook delivery retried")


def webhook_registered(*, webhook: Webhook, actor: AuditActor, request: HttpRequest | None = None) -> AuditEvent:
    return audit_record(
        action=WEBHOOK_REGISTERED.action,
        actor=actor,
        target=webhook,
        organisation=webhook.organisation,
        request=request,
        details={"url": webhook.url},
    )


def webhook_removed(*, webhook: Webhook, actor: AuditActor, request: HttpRequest | None = None) -> AuditEvent:
    return audit_record(
        action=WEBHOOK_REMOVED.action,
        actor=actor,
        target=webhook,
        organisation=webhook.organisation_id,
        request=request,
        details={"url": webhook.url},
    )


def webhook_delivery_retried(
    *, delivery: WebhookDelivery, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    return audit_record(
        action=WEBHOOK_DELIVERY_RETRIED.action,
        actor=actor,
        target=delivery,
        organisation=delivery.webhook.organisation_id,
        request=request,
        details={"url": delivery.webhook.url, "event": delivery.event},
    )
