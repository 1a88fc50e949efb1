"""Issuing evidence PDFs. Every report the portal hands out as evidence (proof of notice, the signed-DPA register,
a breach compliance report) goes through `report_issue`: the exact bytes are stored, recorded with their SHA-256
and audited, so a copy shown to us later can be recognised as ours, and what we issued can be produced again."""

import hashlib
import io
import logging

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.text import slugify

from portal.evidence import events
from portal.evidence.files import read_verified
from portal.evidence.models import IssuedReport

REPORTS_DIR = "reports"
# Who may download an issued report again: the permission of the page it was issued from.
KIND_PERMISSIONS: dict[str, str] = {
    IssuedReport.Kind.NOTICE_PROOF: "changes.view_subprocessorchange",
    IssuedReport.Kind.DPA_REGISTER: "signing.view_dpaexecution",
    IssuedReport.Kind.BREACH_REPORT: "breaches.view_breachincident",
}
logger = logging.getLogger(__name__)


def html_to_pdf(html: str) -> bytes:
    """Render a report with WeasyPrint. Its CSS is inline: nothing may be fetched (no network, no local files)."""
    from weasyprint import HTML  # noqa: PLC0415 - WeasyPrint loads only when it is used
    from weasyprint.urls import URLFetcher  # noqa: PLC0415 - WeasyPrint loads only when it is used

    class RefuseAll(URLFetcher):
        def fetch(self, url, headers=None):
            raise ValueError(f"Blocked resource: {url}")

    return HTML(string=html, url_fetcher=RefuseAll()).write_pdf()


def pdf_is_signed(content: bytes) -> bool:
    """The PDF carries at least one embedded (PAdES) signature."""
    from pyhanko.pdf_utils.misc import PdfError  # noqa: PLC0415 - pyHanko loads only when it is used
    from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: PLC0415 - pyHanko loads only when it is used

    try:
        return bool(PdfFileReader(io.BytesIO(content), strict=False).embedded_signatures)
    except (PdfError, ValueError, KeyError):
        return False


def _store(*, kind: str, stem: str, sha: str, at, content: bytes) -> str:
    name = f"{REPORTS_DIR}/{kind}/{at:%Y/%m}/{slugify(stem)[:80] or kind}-{sha[:16]}.pdf"
    return default_storage.save(name, ContentFile(content))


def report_issue(
    *,
    kind: str,
    content: bytes,
    label: str,
    actor,
    stem: str,
    subject: Model | None = None,
    request=None,
) -> IssuedReport:
    """Record `content` (the bytes handed out, signed if signing is configured) as an issued report of `kind`
    about `subject`: the file under `reports/`, an IssuedReport row and a `report.issued` audit entry.

    The file is written first; if the row or the audit entry cannot be written the file is removed again."""
    sha = hashlib.sha256(content).hexdigest()
    issued_at = timezone.now()
    path = _store(kind=kind, stem=stem, sha=sha, at=issued_at, content=content)
    try:
        with transaction.atomic():
            report = IssuedReport.objects.create(
                kind=kind,
                subject_type=subject._meta.label if subject is not None else "",
                subject_id=str(subject.pk) if subject is not None else "",
                label=label[:300],
                sha256=sha,
                size=len(content),
                path=path,
                signed=pdf_is_signed(content),
                issued_at=issued_at,
                issued_by=actor if getattr(actor, "is_authenticated", False) else None,
                issued_by_label=getattr(actor, "email", "") or "system",
            )
            events.report_issued(report=report, subject=subject, actor=actor, request=request)
    except Exception:
        logger.exception("Recording issued report %s failed; removing %s", kind, path)
        default_storage.delete(path)
        raise
    return report


def issued_report_content(*, report: IssuedReport, actor, request=None) -> bytes:
    """The stored bytes of an issued report, checked against the recorded SHA-256 (a changed or missing copy is
    never served: EvidenceIntegrityError, audited, the legal lead alerted), and the download audited."""
    content = read_verified(
        path=report.path, sha256=report.sha256, what=report.label, target=report, request=request, actor=actor
    )
    events.report_downloaded(report=report, actor=actor, request=request)
    return content
