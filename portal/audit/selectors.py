from collections.abc import Iterator

from django.db.models import Q, QuerySet

from portal.audit.event_types import actions_labelled
from portal.audit.models import AuditEvent

# The columns of the audit log's CSV export (staff console and staff API alike).
AUDIT_EXPORT_HEADER = [
    "id",
    "time_utc",
    "actor",
    "action",
    "action_label",
    "target_type",
    "target_id",
    "organisation_id",
    "ip",
    "details",
    "sha256",
]


def audit_events(*, filters: dict) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.order_by("-id")
    if filters.get("action"):
        text = filters["action"]
        qs = qs.filter(Q(action__icontains=text) | Q(action__in=actions_labelled(text)))
    if filters.get("actor"):
        qs = qs.filter(actor_label__icontains=filters["actor"])
    if filters.get("target_type"):
        qs = qs.filter(target_type__icontains=filters["target_type"])
    if filters.get("target_id"):
        qs = qs.filter(target_id=filters["target_id"])
    if filters.get("organisation"):
        qs = qs.filter(organisation_id=filters["organisation"].pk)
    if filters.get("since"):
        qs = qs.filter(created_at__date__gte=filters["since"])
    if filters.get("until"):
        qs = qs.filter(created_at__date__lte=filters["until"])
    return qs


def audit_export_rows(*, filters: dict) -> Iterator[tuple]:
    """The CSV rows of the events `filters` select, oldest first, read in chunks (the log can be large)."""
    for e in audit_events(filters=filters).order_by("id").iterator(chunk_size=2000):
        yield (
            e.id,
            e.created_at.isoformat(),
            e.actor_label,
            e.action,
            e.action_label,
            e.target_type,
            e.target_id,
            e.organisation_id or "",
            e.ip or "",
            e.details,
            e.hash,
        )
