"""What the DPA app puts on the staff home: each panel is a count, how many are late, and the most urgent rows.

Every panel costs two queries (one aggregate, one slice of rows with its relations joined), whatever the
number of rows, so the home page's query count is constant (tests/staff/test_staff_home.py asserts it).
"""

import datetime as dt

from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.urls import reverse

from dpa.breaches.models import DELIVERED_STATES, BreachIncident, BreachNotification
from portal.core.panels import alert

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
        "alert": alert(
            counts["failed"],
            "delivery failed",
            counts["overdue"],
            "past the 48-hour deadline",
            counts["near"],
            "due within 12 hours",
        ),
        "url": reverse("breaches:staff_list"),
        "link_text": "Breach dashboard",
        "template": "breaches/staff/panels/breach_notifications.html",
        "rows": rows,
        "empty": "Every breach notification has been delivered.",
        "now": now,
    }
