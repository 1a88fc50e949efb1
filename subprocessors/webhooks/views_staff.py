"""Legal staff see every organisation's webhook deliveries and send failed ones again."""

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from portal.core.errors import ApplicationError
from portal.core.permissions import legal_required
from portal.core.redirects import safe_next
from portal.core.tables import Table
from subprocessors.webhooks.filters import DeliveryFilter
from subprocessors.webhooks.models import WebhookDelivery
from subprocessors.webhooks.services import webhook_delivery_retry

COLUMNS = {
    "updated": ("updated_at",),
    "organisation": ("webhook__organisation__name", "-updated_at"),
    "status": ("status", "-updated_at"),
    "attempts": ("attempts", "-updated_at"),
}


@legal_required("webhooks.view_webhookdelivery")
def delivery_list(request):
    filterset = DeliveryFilter(
        request.GET or None,
        queryset=WebhookDelivery.objects.select_related("webhook__organisation", "change__subprocessor"),
    )
    counts = dict(WebhookDelivery.objects.values_list("status").order_by().annotate(n=Count("id")))
    table = Table.build(
        request,
        filterset.qs,
        columns=COLUMNS,
        default="-updated",
        noun=("delivery", "deliveries"),
    )
    return render(
        request,
        "webhooks/staff/webhook_deliveries.html",
        {
            "form": filterset.form,
            "table": table,
            "counts": [(label, counts.get(value, 0), value) for value, label in WebhookDelivery.Status.choices],
        },
    )


@legal_required("webhooks.change_webhookdelivery")
@require_POST
def delivery_retry(request, delivery_id):
    delivery = get_object_or_404(WebhookDelivery.objects.select_related("webhook"), delivery_id=delivery_id)
    try:
        webhook_delivery_retry(delivery=delivery, actor=request.user, request=request)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Delivery to {delivery.webhook.url} queued again.")
    return redirect(safe_next(request, "webhooks:staff_deliveries"))
