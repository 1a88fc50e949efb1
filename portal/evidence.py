"""Issued reports (proof of notice, signed-DPA register, breach report) as stored evidence for the integrity sweep
and `verify_evidence_files`, once the `portal.IssuedReport` model (path, sha256, kind, label) is installed.
Registered from PortalConfig.ready; their download views serve them with `open_verified` themselves."""

from collections.abc import Iterator

from django.apps import apps

from portal.services.evidence_files import EvidenceFile, evidence_source


def register_issued_reports() -> bool:
    """Register the issued reports as an evidence source; False while the model does not exist."""
    try:
        model = apps.get_model("portal", "IssuedReport")
    except LookupError:
        return False

    @evidence_source("issued reports")
    def issued_report_files() -> Iterator[EvidenceFile]:
        for report in model.objects.order_by("id").iterator(chunk_size=500):
            yield EvidenceFile(
                path=report.path,
                sha256=report.sha256,
                what=f"issued report: {report.get_kind_display()}, {report.label}",
                target=report,
            )

    return True
