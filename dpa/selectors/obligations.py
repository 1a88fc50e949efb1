import datetime as dt

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from dpa.models import Obligation, ObligationReminder

DUE_SOON = dt.timedelta(days=2)
REMINDER_HORIZON = dt.timedelta(hours=24)


def obligations_needing_reminders(*, now: dt.datetime | None = None) -> QuerySet[Obligation]:
    """Open obligations inside the reminder window whose overdue alert has not gone out yet."""
    now = now or timezone.now()
    overdue_sent = ObligationReminder.objects.filter(obligation=OuterRef("pk"), stage=ObligationReminder.Stage.OVERDUE)
    return (
        Obligation.objects.filter(status=Obligation.Status.OPEN, due_at__lte=now + REMINDER_HORIZON)
        .exclude(Exists(overdue_sent))
        .order_by("due_at", "id")
    )


def obligation_register(*, filters: dict | None = None, now: dt.datetime | None = None) -> QuerySet[Obligation]:
    filters = filters or {}
    now = now or timezone.now()
    qs = Obligation.objects.select_related("organisation", "completed_by").order_by("due_at", "id")
    state = filters.get("state") or ""
    if state == "open":
        qs = qs.filter(status=Obligation.Status.OPEN)
    elif state == "overdue":
        qs = qs.filter(status=Obligation.Status.OPEN, due_at__lt=now)
    elif state == "due_soon":
        qs = qs.filter(status=Obligation.Status.OPEN, due_at__gte=now, due_at__lte=now + DUE_SOON)
    elif state == "completed":
        qs = qs.filter(status=Obligation.Status.COMPLETED)
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    if filters.get("organisation"):
        qs = qs.filter(organisation=filters["organisation"])
    return qs


def obligation_counts(*, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    open_qs = Obligation.objects.filter(status=Obligation.Status.OPEN)
    return {
        "overdue": open_qs.filter(due_at__lt=now).count(),
        "due_soon": open_qs.filter(due_at__gte=now, due_at__lte=now + DUE_SOON).count(),
    }
