"""Staff console actions that belong to no single domain app: exporting the audit log."""

from collections.abc import Iterator

from django.http import HttpRequest

from portal.audit import events
from portal.audit.selectors import audit_export_rows
from portal.audit.services import AuditActor


def audit_log_export(*, filters: dict, actor: AuditActor, request: HttpRequest) -> Iterator[tuple]:
    """The export is itself audited: who exported, and the query as they sent it (`filters` is what it validated
    to). Returns the rows for `AUDIT_EXPORT_HEADER`, oldest first."""
    events.audit_exported(actor=actor, request=request, filters=request.GET.dict())
    return audit_export_rows(filters=filters)
