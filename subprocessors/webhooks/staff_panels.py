"""What the webhooks app puts on the staff home: webhook deliveries that failed."""

import datetime as dt

from django.urls import reverse

from subprocessors.webhooks.models import WebhookDelivery

ROWS = 5


def webhooks_panel(now: dt.datetime) -> dict:
    failed = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.FAILED)
    rows = list(failed.select_related("webhook__organisation", "change").order_by("-updated_at", "-id")[:ROWS])
    return {
        "key": "failed-webhooks",
        "order": 70,
        "title": "Failed webhook deliveries",
        "count": failed.count(),
        "alert": "",
        "url": reverse("webhooks:staff_deliveries") + "?status=failed",
        "link_text": "Webhook deliveries",
        "template": "webhooks/staff/panels/webhooks.html",
        "rows": rows,
        "empty": "Every webhook delivery succeeded or is still being retried.",
        "now": now,
    }
