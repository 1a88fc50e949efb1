"""Trust documents as stored evidence, for the integrity sweep and `verify_evidence_files` (TrustConfig.ready)."""

from collections.abc import Iterator

from portal.evidence.files import EvidenceFile, evidence_source
from portal.trust.models import TrustDocumentVersion


def document_file_label(version: TrustDocumentVersion) -> str:
    return f"trust document “{version.document.title}” version {version.version}"


@evidence_source("trust document versions")
def trust_document_files() -> Iterator[EvidenceFile]:
    rows = TrustDocumentVersion.objects.select_related("document").order_by("id")
    for version in rows.iterator(chunk_size=500):
        yield EvidenceFile(
            path=version.file.name or "",
            sha256=version.sha256,
            what=document_file_label(version),
            target=version.document,
            storage=version.file.storage,
        )
