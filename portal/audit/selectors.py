from django.db.models import Q, QuerySet

from portal.audit.event_types import actions_labelled
from portal.audit.models import AuditEvent


def audit_events(*, filters: dict) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.order_by("-id")
    if filters.get("action"):
        text = filters["action"]
        qs = qs.filter(Q(action__icontains=text) | Q(action__in=actions_labelled(text)))
    if filters.get("actor"):
        qs = qs.filter(actor_label__icontains=filters["actor"])
    if filters.get("target_type"):
        qs = qs.filter(target_type__icontains=filters["target_type"])
    if filters.get("organisation"):
        qs = qs.filter(organisation_id=filters["organisation"].pk)
    if filters.get("since"):
        qs = qs.filter(created_at__date__gte=filters["since"])
    if filters.get("until"):
        qs = qs.filter(created_at__date__lte=filters["until"])
    return qs
