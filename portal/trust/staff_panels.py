import datetime as dt

from django.db.models import Count, Q
from django.urls import reverse

from portal.core.panels import alert
from portal.trust.models import AccessRequest

ROWS = 5


def access_panel(now: dt.datetime) -> dict:
    pending = AccessRequest.objects.filter(status=AccessRequest.Status.PENDING)
    counts = pending.aggregate(total=Count("id"), overdue=Count("id", filter=Q(due_at__lt=now)))
    rows = list(pending.select_related("user", "organisation").order_by("due_at", "id")[:ROWS])
    return {
        "key": "access-requests",
        "order": 20,
        "title": "Access requests to decide",
        "count": counts["total"],
        "alert": alert(counts["overdue"], "past their 2-business-day answer date"),
        "url": reverse("trust:staff_queue"),
        "link_text": "Access queue",
        "template": "trust/staff/panels/access_requests.html",
        "rows": rows,
        "empty": "No access request is waiting for a decision.",
        "now": now,
    }
