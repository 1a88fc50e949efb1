from django.db.models import OuterRef, QuerySet, Subquery

from subprocessors.webhooks.models import Webhook, WebhookDelivery


def organisation_webhooks(*, organisation) -> QuerySet[Webhook]:
    return Webhook.objects.filter(organisation=organisation, active=True).order_by("url")


def webhook_deliveries(*, organisation) -> QuerySet[WebhookDelivery]:
    return (
        WebhookDelivery.objects.filter(webhook__organisation=organisation)
        .select_related("webhook")
        .order_by("-created_at", "-id")
    )


def organisation_webhooks_with_last_delivery(*, organisation) -> QuerySet[Webhook]:
    """Active webhooks with their newest delivery's status, HTTP code, error and time, in one query."""
    latest = WebhookDelivery.objects.filter(webhook=OuterRef("pk")).order_by("-created_at", "-id")
    return organisation_webhooks(organisation=organisation).annotate(
        last_delivery_status=Subquery(latest.values("status")[:1]),
        last_delivery_at=Subquery(latest.values("created_at")[:1]),
        last_delivery_code=Subquery(latest.values("last_status_code")[:1]),
        last_delivery_error=Subquery(latest.values("last_error")[:1]),
    )


def webhook_is_failing(webhook: Webhook) -> bool:
    """Its newest delivery gave up, or is waiting for a retry after an error."""
    status = getattr(webhook, "last_delivery_status", None)
    if status == WebhookDelivery.Status.FAILED:
        return True
    return status == WebhookDelivery.Status.PENDING and bool(getattr(webhook, "last_delivery_error", ""))
