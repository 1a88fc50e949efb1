"""What the sub-processor app puts on the staff home: announced and held changes (notice incomplete first, then
open objections), failed webhooks.

A constant number of queries per panel whatever the number of rows (asserted in tests/portal/test_staff_home.py
and tests/subprocessors/test_change_hold.py).
"""

import datetime as dt

from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.urls import reverse
from django.utils import timezone

from subprocessors.changes.models import SubprocessorChange, WebhookDelivery
from subprocessors.changes.selectors import PENDING_STATUSES, notice_gaps_for, notice_incomplete_q
from subprocessors.objections.models import Objection

ROWS = 5
GAPS_PER_CHANGE = 5
OPEN_OBJECTION = Q(objections__status__in=(Objection.Status.RECEIVED, Objection.Status.IN_CONSULTATION))


def changes_panel(now: dt.datetime) -> dict:
    incomplete = notice_incomplete_q(now)
    pending = SubprocessorChange.objects.filter(status__in=PENDING_STATUSES)
    counts = pending.aggregate(
        total=Count("id", distinct=True),
        incomplete=Count("id", filter=incomplete, distinct=True),
        held=Count("id", filter=Q(status=SubprocessorChange.Status.HELD), distinct=True),
        objected=Count("id", filter=OPEN_OBJECTION, distinct=True),
        open_objections=Count("objections", filter=OPEN_OBJECTION),
    )
    rows = list(
        pending.select_related("subprocessor", "replaces")
        .annotate(
            incomplete=Case(When(incomplete, then=Value(1)), default=Value(0), output_field=IntegerField()),
            open_objections=Count("objections", filter=OPEN_OBJECTION),
        )
        .order_by("-incomplete", "-open_objections", "effective_date", "id")[:ROWS]
    )
    gaps, gap_counts = notice_gaps_for(change_ids=[c.pk for c in rows if c.incomplete], per_change=GAPS_PER_CHANGE)
    for change in rows:
        # Display attributes the panel's template reads, set like the annotations above.
        change.notice_gaps = gaps.get(change.pk, [])  # type: ignore[attr-defined]
        change.notice_gap_count = gap_counts.get(change.pk, 0)  # type: ignore[attr-defined]
    alerts = []
    if counts["incomplete"]:
        changes = _plural(counts["incomplete"], "change")
        alerts.append(f"{changes} with notice incomplete ({counts['held']} held on the effective date)")
    if counts["open_objections"]:
        alerts.append(
            f"{_plural(counts['open_objections'], 'open objection')} on {_plural(counts['objected'], 'change')}"
        )
    return {
        "key": "changes",
        "order": 40,
        "title": "Changes awaiting their effective date",
        "count": counts["total"],
        "alert": "; ".join(alerts),
        "url": reverse("staff_change_list") + ("?status=held" if counts["held"] else "?status=announced"),
        "link_text": "Held changes" if counts["held"] else "Announced changes",
        "template": "changes/staff/panels/changes.html",
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
        "template": "changes/staff/panels/webhooks.html",
        "rows": rows,
        "empty": "Every webhook delivery succeeded or is still being retried.",
        "now": now,
    }


def staff_panels(request) -> list[dict]:
    now = timezone.now()
    return [changes_panel(now), webhooks_panel(now)]


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
