"""What the sub-processor app puts on the staff home: announced changes with open objections, failed webhooks.

Two queries per panel whatever the number of rows (asserted in tests/portal/test_staff_home.py).
"""

import datetime as dt

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from subprocessors.models import Objection, SubprocessorChange, WebhookDelivery

ROWS = 5
OPEN_OBJECTION = Q(objections__status__in=(Objection.Status.RECEIVED, Objection.Status.IN_CONSULTATION))


def changes_panel(now: dt.datetime) -> dict:
    announced = SubprocessorChange.objects.filter(status=SubprocessorChange.Status.ANNOUNCED)
    counts = announced.aggregate(
        total=Count("id", distinct=True),
        objected=Count("id", filter=OPEN_OBJECTION, distinct=True),
        open_objections=Count("objections", filter=OPEN_OBJECTION),
    )
    rows = list(
        announced.select_related("subprocessor", "replaces")
        .annotate(open_objections=Count("objections", filter=OPEN_OBJECTION))
        .order_by("-open_objections", "effective_date", "id")[:ROWS]
    )
    alert = ""
    if counts["open_objections"]:
        alert = f"{_plural(counts['open_objections'], 'open objection')} on {_plural(counts['objected'], 'change')}"
    return {
        "key": "changes",
        "order": 40,
        "title": "Changes awaiting their effective date",
        "count": counts["total"],
        "alert": alert,
        "url": reverse("staff_change_list") + "?status=announced",
        "link_text": "Announced changes",
        "template": "subprocessors/staff/panels/changes.html",
        "rows": rows,
        "empty": "No announced change is waiting to take effect.",
        "now": now,
    }


def webhooks_panel(now: dt.datetime) -> dict:
    failed = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.FAILED)
    rows = list(failed.select_related("webhook__organisation", "change").order_by("-updated_at", "-id")[:ROWS])
    return {
        "key": "failed-webhooks",
        "order": 70,
        "title": "Failed webhook deliveries",
        "count": failed.count(),
        "alert": "",
        "url": reverse("staff_webhook_deliveries") + "?status=failed",
        "link_text": "Webhook deliveries",
        "template": "subprocessors/staff/panels/webhooks.html",
        "rows": rows,
        "empty": "Every webhook delivery succeeded or is still being retried.",
        "now": now,
    }


def staff_panels(request) -> list[dict]:
    now = timezone.now()
    return [changes_panel(now), webhooks_panel(now)]


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
