"""Events of the audit log itself: who exported it and when it was sealed."""

from typing import TYPE_CHECKING

from django.http import HttpRequest

from portal.audit.event_types import event_type
from portal.audit.models import AuditEvent
from portal.audit.services import AuditActor, audit_record

if TYPE_CHECKING:  # checkpoints records through this module
    from portal.audit.checkpoints import Checkpoint

AUDIT_EXPORTED = event_type("audit.exported", "Audit log exported")
AUDIT_CHECKPOINT_WRITTEN = event_type("audit.checkpoint_written", "Audit checkpoint written")


def audit_exported(*, actor: AuditActor, request: HttpRequest, filters: dict) -> AuditEvent:
    return audit_record(action=AUDIT_EXPORTED.action, actor=actor, request=request, details={"filters": filters})


def audit_checkpoint_written(
    *, checkpoint: "Checkpoint", trigger: str, actor: AuditActor = None, request: HttpRequest | None = None
) -> AuditEvent:
    return audit_record(
        action=AUDIT_CHECKPOINT_WRITTEN.action,
        actor=actor,
        request=request,
        details={
            "file": checkpoint.name,
            "trigger": trigger,
            "row_count": checkpoint.data["row_count"],
            "head_id": checkpoint.data["head_id"],
            "signed": checkpoint.signature is not None,
        },
    )
