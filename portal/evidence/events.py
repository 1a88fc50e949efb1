"""Audit events of stored evidence: reports issued and downloaded, files that failed their integrity check."""

from typing import TYPE_CHECKING

from django.db.models import Model
from django.http import HttpRequest

from portal.audit.event_types import event_type
from portal.audit.models import AuditEvent
from portal.audit.services import Actor, AuditActor, audit_record
from portal.evidence.models import IssuedReport, PreparedFile

if TYPE_CHECKING:  # files and checkpoints record through this module
    from portal.evidence.checkpoints import Checkpoint
    from portal.evidence.files import EvidenceIntegrityError


REPORT_ISSUED = event_type("report.issued", "Evidence report issued")


REPORT_DOWNLOADED = event_type("report.downloaded", "Issued report downloaded")


EVIDENCE_INTEGRITY_FAILED = event_type("evidence.integrity_failed", "Evidence file failed its integrity check")


PREPARED_FILE_RETRIED = event_type("evidence.prepared_file_retried", "Failed file render retried by staff")


AUDIT_CHECKPOINT_WRITTEN = event_type("audit.checkpoint_written", "Audit checkpoint written")


def report_issued(
    *, report: IssuedReport, subject: Model | None, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    """Recorded against what the report is about (`subject`), else against the report itself."""
    return audit_record(
        action=REPORT_ISSUED.action,
        actor=actor,
        target=subject if subject is not None else report,
        request=request,
        details={
            "report": report.pk,
            "kind": report.kind,
            "sha256": report.sha256,
            "bytes": report.size,
            "signed": report.signed,
            "path": report.path,
        },
    )


def report_downloaded(*, report: IssuedReport, actor: AuditActor, request: HttpRequest | None = None) -> AuditEvent:
    return audit_record(
        action=REPORT_DOWNLOADED.action,
        actor=actor,
        target=report,
        request=request,
        details={"kind": report.kind, "sha256": report.sha256},
    )


def evidence_integrity_failed(
    *, error: "EvidenceIntegrityError", requested_by: Actor, view: str, request: HttpRequest | None = None
) -> AuditEvent:
    """`view`: the view's name, not the URL: a signatory link's URL carries its token, which is never stored."""
    return audit_record(
        action=EVIDENCE_INTEGRITY_FAILED.action,
        actor=requested_by,
        target=error.context.get("target"),
        organisation=error.context.get("organisation"),
        request=request,
        details={
            "what": error.what,
            "path": error.path,
            "expected_sha256": error.expected,
            "actual_sha256": error.actual,
            "missing": error.missing,
            "requested_by": requested_by.label,
            "view": view,
        },
    )


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


def prepared_file_retried(
    *, job: PreparedFile, error: str, attempts: int, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    """Legal staff sent a failed render again: who, which file, and the failure they saw (`error`, after
    `attempts` attempts), so a report issued later can be traced to the retry that produced it."""
    return audit_record(
        action=PREPARED_FILE_RETRIED.action,
        actor=actor,
        target=job,
        request=request,
        details={"kind": job.kind, "label": job.label, "error": error, "attempts": attempts},
    )
