"""Events of the audit log itself: who exported it and when it was sealed."""

from typing import TYPE_CHECKING

from django.http import HttpRequest

from portal.audit.event_types import event_type
from portal.audit.models import AuditEvent
from portal.audit.services import AuditActor, audit_record

if TYPE_CHECKING:  # checkpoints records through this module
    pass


AUDIT_EXPORTED = event_type("audit.exported", "Audit log exported")


def audit_exported(*, actor: AuditActor, request: HttpRequest, filters: dict) -> AuditEvent:
    return audit_record(action=AUDIT_EXPORTED.action, actor=actor, request=request, details={"filters": filters})
