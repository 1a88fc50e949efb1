"""What the DPA app puts on the staff home: each panel is a count, how many are late, and the most urgent rows.

Every panel costs two queries (one aggregate, one slice of rows with its relations joined), whatever the
number of rows, so the home page's query count is constant (tests/portal/test_staff_home.py asserts it).
"""

import datetime as dt

from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.urls import reverse
from django.utils import timezone

from dpa.models import (
    DELIVERED_STATES,
    AccessRequest,
    BreachIncident,
    BreachNotification,
    DpaExecution,
    Obligation,
)
from dpa.selectors.obligations import DUE_SOON

ROWS = 5
# An undelivered breach notification is flagged once fewer than this many hours of its 48 remain.
BREACH_NEAR = dt.timedelta(hours=12)


def breach_panel(now: dt.datetime) -> dict:
    """Notifications not delivered yet — drafted, queued or failed — of incidents not closed. A failed delivery
    comes first and is red whatever its deadline: the controller has not been notified and nothing will retry."""
    undelivered = BreachNotification.objects.exclude(status__in=DELIVERED_STATES).exclude(
        incident__status=BreachIncident.Status.CLOSED
    )
    failed = Q(status=BreachNotification.Status.FAILED)
    counts = undelivered.aggregate(
        total=Count("id"),
        failed=Count("id", filter=failed),
        overdue=Count("id", filter=Q(deadline__lt=now)),
        near=Count("id", filter=Q(deadline__gte=now, deadline__lt=now + BREACH_NEAR)),
    )
    failed_first = Case(When(failed, then=Value(0)), default=Value(1), output_field=IntegerField())
    rows = list(undelivered.select_related("incident", "organisation").order_by(failed_first, "deadline", "id")[:ROWS])
    return {
        "key": "breach-notifications",
        "order": 10,
        "title": "Breach notifications not yet delivered",
        "count": counts["total"],
        "alert": _alert(
            counts["failed"],
            "delivery failed",
            counts["overdue"],
            "past the 48-hour deadline",
            counts["near"],
            "due within 12 hours",
        ),
        "url": reverse("dpa_staff_breaches"),
        "link_text": "Breach dashboard",
        "template": "dpa/staff/panels/breach_notifications.html",
        "rows": rows,
        "empty": "Every breach notification has been delivered.",
        "now": now,
    }


def access_panel(now: dt.datetime) -> dict:
    pending = AccessRequest.objects.filter(status=AccessRequest.Status.PENDING)
    counts = pending.aggregate(total=Count("id"), overdue=Count("id", filter=Q(due_at__lt=now)))
    rows = list(pending.select_related("user", "organisation").order_by("due_at", "id")[:ROWS])
    return {
        "key": "access-requests",
        "order": 20,
        "title": "Access requests to decide",
        "count": counts["total"],
        "alert": _alert(counts["overdue"], "past their 2-business-day answer date"),
        "url": reverse("staff_access_queue"),
        "link_text": "Access queue",
        "template": "dpa/staff/panels/access_requests.html",
        "rows": rows,
        "empty": "No access request is waiting for a decision.",
        "now": now,
    }


def countersign_panel(now: dt.datetime) -> dict:
    waiting = DpaExecution.objects.filter(status=DpaExecution.Status.AWAITING_COUNTERSIGNATURE)
    rows = list(waiting.select_related("organisation", "version").order_by("customer_signed_at", "id")[:ROWS])
    return {
        "key": "countersign",
        "order": 30,
        "title": "DPAs to countersign",
        "count": waiting.count(),
        "alert": "",
        "url": reverse("staff_dpa_executions") + "?status=awaiting_countersignature",
        "link_text": "Signed DPAs",
        "template": "dpa/staff/panels/countersign.html",
        "rows": rows,
        "empty": "No customer signature is waiting for ours.",
        "now": now,
    }


def obligation_panel(now: dt.datetime) -> dict:
    due = Obligation.objects.filter(status=Obligation.Status.OPEN, due_at__lte=now + DUE_SOON)
    counts = due.aggregate(total=Count("id"), overdue=Count("id", filter=Q(due_at__lt=now)))
    rows = list(due.select_related("organisation").order_by("due_at", "id")[:ROWS])
    return {
        "key": "obligations",
        "order": 50,
        "title": "Obligations due within 2 days",
        "count": counts["total"],
        "alert": _alert(counts["overdue"], "overdue"),
        "url": reverse("dpa_staff_obligations") + "?state=open",
        "link_text": "Obligation register",
        "template": "dpa/staff/panels/obligations.html",
        "rows": rows,
        "empty": "Nothing is due in the next 2 days.",
        "now": now,
    }


def staff_panels(request) -> list[dict]:
    now = timezone.now()
    return [breach_panel(now), access_panel(now), countersign_panel(now), obligation_panel(now)]


def _alert(*pairs) -> str:
    """("3 overdue", …) from (count, words) pairs, skipping zeros."""
    it = iter(pairs)
    return ", ".join(f"{n} {words}" for n, words in zip(it, it, strict=True) if n)
