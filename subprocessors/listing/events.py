"""Audit events of the sub-processor list: each revision of an entry."""

from django.http import HttpRequest

from portal.audit.event_types import AuditEventType, event_type
from portal.audit.models import AuditEvent
from portal.audit.services import AuditActor, audit_record
from subprocessors.listing.models import SubprocessorRevision

SUBPROCESSOR_CREATED = event_type("subprocessor.created", "Sub-processor entry created")
SUBPROCESSOR_ADDED = event_type("subprocessor.added", "Sub-processor added to the list")
SUBPROCESSOR_CHANGED = event_type("subprocessor.changed", "Sub-processor entry changed")
SUBPROCESSOR_RETIRED = event_type("subprocessor.retired", "Sub-processor removed from the list")

_BY_KIND: dict[str, AuditEventType] = {
    SubprocessorRevision.Kind.ADDED: SUBPROCESSOR_ADDED,
    SubprocessorRevision.Kind.CHANGED: SUBPROCESSOR_CHANGED,
    SubprocessorRevision.Kind.RETIRED: SUBPROCESSOR_RETIRED,
}


def subprocessor_revised(
    *, revision: SubprocessorRevision, created: bool, note: str, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    """A new entry (`created`) or a revision of its kind (added, changed, retired); `note` as staff typed it (the
    revision keeps its first 300 characters)."""
    kind = SUBPROCESSOR_CREATED if created else _BY_KIND[revision.kind]
    return audit_record(
        action=kind.action,
        actor=actor,
        target=revision.subprocessor,
        request=request,
        details={
            "slug": revision.subprocessor.slug,
            "before": revision.before,
            "after": {k: revision.snapshot[k] for k in revision.changed_fields},
            **({"note": note} if note else {}),
        },
    )
