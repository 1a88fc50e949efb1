"""Agreements for signature and executed DPAs as stored evidence, for the integrity sweep and
`verify_evidence_files` (SigningConfig.ready)."""

from collections.abc import Iterator

from dpa.signing.models import DpaExecution
from portal.evidence.files import EvidenceFile, evidence_source


def execution_file_label(execution: DpaExecution, *, executed: bool) -> str:
    kind = "executed DPA" if executed else "DPA agreement for signature"
    return f"{kind} {execution.version.label} ({execution.organisation.name})"


@evidence_source("executed DPAs")
def executed_dpa_files() -> Iterator[EvidenceFile]:
    rows = DpaExecution.objects.filter(status=DpaExecution.Status.EXECUTED).select_related("organisation", "version")
    for execution in rows.order_by("id").iterator(chunk_size=500):
        yield EvidenceFile(
            path=execution.executed_path,
            sha256=execution.executed_sha256 or "",
            what=execution_file_label(execution, executed=True),
            target=execution,
            organisation=execution.organisation,
        )


@evidence_source("agreements awaiting signature")
def open_agreement_files() -> Iterator[EvidenceFile]:
    # An agreement still being prepared by a worker is no file yet.
    rows = (
        DpaExecution.objects.filter(status__in=DpaExecution.OPEN_STATUSES)
        .exclude(agreement_sha256="")
        .select_related("organisation", "version")
    )
    for execution in rows.order_by("id").iterator(chunk_size=500):
        yield EvidenceFile(
            path=execution.agreement_path,
            sha256=execution.agreement_sha256,
            what=execution_file_label(execution, executed=False),
            target=execution,
            organisation=execution.organisation,
        )
