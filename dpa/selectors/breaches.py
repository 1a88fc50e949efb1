from django.db.models import Count, Min, Prefetch, Q, QuerySet

from dpa.models import BreachFollowUp, BreachIncident, BreachNotification
from portal.models import AuditEvent


def incident_register() -> QuerySet[BreachIncident]:
    """Every incident with per-status counts and the nearest unsent deadline, in a constant number of queries."""
    return BreachIncident.objects.annotate(
        notice_count=Count("notifications"),
        unsent_count=Count("notifications", filter=Q(notifications__sent_at__isnull=True)),
        acknowledged_count=Count("notifications", filter=Q(notifications__acknowledged_at__isnull=False)),
        nearest_deadline=Min("notifications__deadline", filter=Q(notifications__sent_at__isnull=True)),
    )


def incident_notifications(incident: BreachIncident) -> QuerySet[BreachNotification]:
    return (
        incident.notifications.select_related("organisation")
        .prefetch_related(Prefetch("followups", queryset=BreachFollowUp.objects.order_by("number")))
        .order_by("organisation__name")
    )


def incident_timeline(incident: BreachIncident) -> QuerySet[AuditEvent]:
    """Everything that happened: every audit event recorded with this incident (notices, reminders, acks)."""
    return AuditEvent.objects.filter(details__incident=incident.pk).order_by("created_at", "id")


def organisation_breach_notifications(organisation) -> QuerySet[BreachNotification]:
    """What a customer sees: notifications sent to its organisation only."""
    return (
        BreachNotification.objects.filter(organisation=organisation, sent_at__isnull=False)
        .select_related("incident")
        .prefetch_related(Prefetch("followups", queryset=BreachFollowUp.objects.order_by("number")))
        .order_by("-sent_at")
    )
