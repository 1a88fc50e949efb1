import datetime as dt

from django.db.models import Case, Count, F, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from portal.deadlines.models import Obligation, ObligationReminder
from portal.deadlines.obligations import REMINDER_STAGES

DUE_SOON = dt.timedelta(days=2)
REMINDER_HORIZON = dt.timedelta(hours=24)


def obligations_needing_reminders(*, now: dt.datetime | None = None) -> QuerySet[Obligation]:
    """Open obligations with a reminder stage due and not yet recorded: one query, empty on most beat ticks."""

    now = now or timezone.now()
    # Stages are nested (24h ⊂ 12h ⊂ …), so "stages due" is a count compared with the stages recorded.
    stages_due = Case(
        *[
            When(due_at__lte=now + before, then=Value(len(REMINDER_STAGES) - i))
            for i, (_, before) in enumerate(reversed(REMINDER_STAGES))
        ],
        default=Value(0),
        output_field=IntegerField(),
    )
    recorded = (
        ObligationReminder.objects.filter(obligation=OuterRef("pk"))
        .order_by()
        .values("obligation")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        Obligation.objects.filter(status=Obligation.Status.OPEN, due_at__lte=now + REMINDER_HORIZON)
        .annotate(stages_due=stages_due, stages_sent=Coalesce(Subquery(recorded), 0))
        .filter(stages_due__gt=F("stages_sent"))
        .order_by("due_at", "id")
    )


def obligation_register(*, filters: dict | None = None, now: dt.datetime | None = None) -> QuerySet[Obligation]:
    """The register, soonest due first. `filters`: `state` (open, overdue, due_soon, completed), `kind`,
    `organisation` (an instance), `due_after` (inclusive) and `due_before` (exclusive), aware datetimes."""
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
    if filters.get("due_after"):
        qs = qs.filter(due_at__gte=filters["due_after"])
    if filters.get("due_before"):
        qs = qs.filter(due_at__lt=filters["due_before"])
    return qs


def obligation_counts(*, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    open_qs = Obligation.objects.filter(status=Obligation.Status.OPEN)
    return {
        "overdue": open_qs.filter(due_at__lt=now).count(),
        "due_soon": open_qs.filter(due_at__gte=now, due_at__lte=now + DUE_SOON).count(),
    }
