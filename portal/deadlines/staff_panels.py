import datetime as dt

from django.db.models import Count, Q
from django.urls import reverse

from portal.core.panels import alert
from portal.deadlines.models import Obligation
from portal.deadlines.selectors import DUE_SOON

ROWS = 5


def obligation_panel(now: dt.datetime) -> dict:
    due = Obligation.objects.filter(status=Obligation.Status.OPEN, due_at__lte=now + DUE_SOON)
    counts = due.aggregate(total=Count("id"), overdue=Count("id", filter=Q(due_at__lt=now)))
    rows = list(due.select_related("organisation").order_by("due_at", "id")[:ROWS])
    return {
        "key": "obligations",
        "order": 50,
        "title": "Obligations due within 2 days",
        "count": counts["total"],
        "alert": alert(counts["overdue"], "overdue"),
        "url": reverse("deadlines:staff_list") + "?state=open",
        "link_text": "Obligation register",
        "template": "deadlines/staff/panels/obligations.html",
        "rows": rows,
        "empty": "Nothing is due in the next 2 days.",
        "now": now,
    }
