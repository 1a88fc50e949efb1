"""Issued reports (proof of notice, signed-DPA register, breach report) as stored evidence for the integrity sweep
and `verify_evidence_files`. Imported from EvidenceConfig.ready; their download views serve them with
`open_verified` themselves."""

from collections.abc import Iterator

from portal.evidence.files import EvidenceFile, evidence_source
from portal.evidence.models import IssuedReport


@evidence_source("issued reports")
def issued_report_files() -> Iterator[EvidenceFile]:
    for report in IssuedReport.objects.order_by("id").iterator(chunk_size=500):
        yield EvidenceFile(
            path=report.path,
            sha256=report.sha256,
            what=f"issued report: {report.get_kind_display()}, {report.label}",
            target=report,
        )
