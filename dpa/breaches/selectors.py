from django.db.models import Case, Count, F, Min, Prefetch, Q, QuerySet, Value, When

from dpa.breaches.models import (
    DELIVERED_STATES,
    BreachAwarenessChange,
    BreachFollowUp,
    BreachIncident,
    BreachNotification,
)
from portal.audit.models import AuditEvent

UNDELIVERED = ~Q(status__in=DELIVERED_STATES)

SEVERITY_RANK = Case(
    *(When(severity=value, then=Value(rank)) for rank, value in enumerate(BreachIncident.Severity.values)),
    default=Value(0),
)
# The register's sort keys (dashboard columns and the staff API's `sort`): ascending ORDER BY terms of each.
INCIDENT_SORTS = {
    "incident": ("title",),
    "aware": ("aware_at",),
    "severity": (SEVERITY_RANK, "-aware_at"),
    "status": ("status", "-aware_at"),
    "deadline": (F("nearest_deadline"), "-aware_at"),
}


def incident_register() -> QuerySet[BreachIncident]:
    """Every incident with per-status counts and the nearest undelivered deadline, in a constant number of
    queries."""
    undelivered = ~Q(notifications__status__in=DELIVERED_STATES)
    return BreachIncident.objects.annotate(
        notice_count=Count("notifications"),
        undelivered_count=Count("notifications", filter=undelivered),
        failed_count=Count("notifications", filter=Q(notifications__status=BreachNotification.Status.FAILED)),
        acknowledged_count=Count("notifications", filter=Q(notifications__acknowledged_at__isnull=False)),
        nearest_deadline=Min("notifications__deadline", filter=undelivered),
    )


def incident_notifications(incident: BreachIncident) -> QuerySet[BreachNotification]:
    return (
        incident.notifications.select_related("organisation")
        .prefetch_related(Prefetch("followups", queryset=BreachFollowUp.objects.order_by("number")))
        .order_by("organisation__name")
    )


def incident_awareness_changes(incident: BreachIncident) -> QuerySet[BreachAwarenessChange]:
    return incident.awareness_changes.order_by("created_at", "id")


def incident_timeline(incident: BreachIncident) -> QuerySet[AuditEvent]:
    """Everything that happened: every audit event recorded with this incident (notices, reminders, acks)."""
    return AuditEvent.objects.filter(details__incident=incident.pk).order_by("created_at", "id")


def organisation_breach_notifications(organisation) -> QuerySet[BreachNotification]:
    """What a customer sees: notifications delivered to its organisation only, with their delivered updates."""
    return (
        BreachNotification.objects.filter(organisation=organisation, status__in=DELIVERED_STATES)
        .select_related("incident")
        .prefetch_related(
            Prefetch(
                "followups",
                queryset=BreachFollowUp.objects.filter(status=BreachFollowUp.Status.DELIVERED).order_by("number"),
            )
        )
        .order_by("-delivered_at")
    )


def user_breach_notifications(user) -> QuerySet[BreachNotification]:
    """The delivered notifications of every organisation `user` is a member of (what their portal pages show)."""
    return BreachNotification.objects.filter(
        organisation__memberships__user=user, status__in=DELIVERED_STATES
    ).select_related("incident", "organisation")
