"""Legal staff see every organisation's webhook deliveries and send failed ones again."""

from django import forms
from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from portal.errors import ApplicationError
from portal.permissions import legal_required
from portal.tables import Table, valid_filters
from portal.views.staff import safe_next
from subprocessors.models import WebhookDelivery
from subprocessors.services.webhooks import webhook_delivery_retry


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status"), *WebhookDelivery.Status.choices], required=False)
    organisation = forms.CharField(required=False, label="Organisation contains", max_length=200)
    url = forms.CharField(required=False, label="URL contains", max_length=500)


def staff_deliveries(*, filters: dict):
    qs = WebhookDelivery.objects.select_related("webhook__organisation", "change__subprocessor")
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("organisation"):
        qs = qs.filter(webhook__organisation__name__icontains=filters["organisation"])
    if filters.get("url"):
        qs = qs.filter(webhook__url__icontains=filters["url"])
    return qs


COLUMNS = {
    "updated": ("updated_at",),
    "organisation": ("webhook__organisation__name", "-updated_at"),
    "status": ("status", "-updated_at"),
    "attempts": ("attempts", "-updated_at"),
}


@legal_required("subprocessors.view_webhookdelivery")
def delivery_list(request):
    form = DeliveryFilterForm(request.GET or None)
    counts = dict(WebhookDelivery.objects.values_list("status").order_by().annotate(n=Count("id")))
    table = Table.build(
        request,
        staff_deliveries(filters=valid_filters(form)),
        columns=COLUMNS,
        default="-updated",
        noun=("delivery", "deliveries"),
    )
    return render(
        request,
        "subprocessors/staff/webhook_deliveries.html",
        {
            "form": form,
            "table": table,
            "counts": [(label, counts.get(value, 0), value) for value, label in WebhookDelivery.Status.choices],
        },
    )


@legal_required("subprocessors.change_webhookdelivery")
@require_POST
def delivery_retry(request, delivery_id):
    delivery = get_object_or_404(WebhookDelivery.objects.select_related("webhook"), delivery_id=delivery_id)
    try:
        webhook_delivery_retry(delivery=delivery, actor=request.user, request=request)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Delivery to {delivery.webhook.url} queued again.")
    return redirect(safe_next(request, "staff_webhook_deliveries"))
