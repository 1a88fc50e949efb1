from django.db.models import Count, Min, Prefetch, Q, QuerySet

from dpa.breaches.models import (
    DELIVERED_STATES,
    BreachAwarenessChange,
    BreachFollowUp,
    BreachIncident,
    BreachNotification,
)
from portal.audit.models import AuditEvent

UNDELIVERED = ~Q(status__in=DELIVERED_STATES)


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
