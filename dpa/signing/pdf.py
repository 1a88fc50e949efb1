"""The executed DPA: the signed agreement plus the signature page, sealed (PAdES) and stored once.

The agreement itself is rendered by dpa.versions.pdf; this module only adds what signing adds."""

import datetime as dt
import hashlib
import io
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from dpa.signing.evidence import execution_file_label
from dpa.signing.models import DpaExecution
from dpa.versions.pdf import SIGNATURE_TEMPLATE, annex_as_of_label, html_to_pdf
from portal.deadlines.calendar import portal_tz
from portal.evidence.files import read_verified
from portal.evidence.signing import sign_pdf

EXECUTED_DIR = "dpa/executed"
AGREEMENT_FILE_CHANGED = (
    "The stored agreement no longer matches the SHA-256 the customer signed, so it cannot be executed. "
    "Ask the operator to restore the file."
)


_written: ContextVar[list[str] | None] = ContextVar("evidence_files_written", default=None)


def executed_seal_reason(execution: DpaExecution) -> str:
    return (
        f"Executed DPA {execution.version.label} between {settings.PORTAL_PROCESSOR_NAME} "
        f"and {execution.organisation.name}"
    )


def executed_pdf_seal(execution: DpaExecution, content: bytes) -> bytes:
    """The final executed file: `content` (agreement + signature page, with both parties' signature records)
    sealed by our certification signature (PAdES, DocMDP "no changes"), appended as an incremental update so the
    rendered bytes stay a prefix. Unsigned when no signing certificate is configured."""

    return sign_pdf(content, reason=executed_seal_reason(execution), certify=True)


def executed_pdf_render(execution: DpaExecution, *, request=None, actor=None) -> bytes:
    """The agreement the signatory reviewed, byte for byte, followed by a signature page (not yet sealed: see
    executed_pdf_seal).

    A stored agreement that no longer has the SHA-256 the customer signed raises EvidenceIntegrityError."""
    from pypdf import PdfReader, PdfWriter  # noqa: PLC0415 - pypdf loads only when it is used

    tz = portal_tz()
    # Both parties signed: the page records when.
    assert execution.customer_signed_at is not None
    assert execution.countersigned_at is not None
    html = render_to_string(
        SIGNATURE_TEMPLATE,
        {
            "execution": execution,
            "version": execution.version,
            "processor_name": settings.PORTAL_PROCESSOR_NAME,
            "time_zone": settings.PORTAL_TIME_ZONE,
            "customer_signed_local": timezone.localtime(execution.customer_signed_at, tz),
            "countersigned_local": timezone.localtime(execution.countersigned_at, tz),
            "customer_signed_utc": execution.customer_signed_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
            "countersigned_utc": execution.countersigned_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
            "verify_url": settings.SITE_URL + reverse("signing:verify"),
            "annex_as_of": annex_as_of_label(execution.annex_as_of) if execution.annex_as_of else "",
        },
    )
    # The executed file carries the signed agreement itself, never a re-rendering from a later list.
    agreement = read_verified(
        path=execution.agreement_path,
        sha256=execution.agreement_sha256,
        what=execution_file_label(execution, executed=False),
        target=execution,
        organisation=execution.organisation,
        request=request,
        actor=actor,
    )
    signature = html_to_pdf(html)
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(agreement)))
    writer.append(PdfReader(io.BytesIO(signature)))
    writer.add_metadata({"/Title": f"{execution.version.title} {execution.version.label} — executed"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@contextmanager
def evidence_files_kept_only_on_success():
    """Evidence files written inside are deleted again if the block fails, a failed commit included (use it
    around the `transaction.atomic` that records them), so a rolled-back transaction leaves no file behind."""
    written: list[str] = []
    token = _written.set(written)
    try:
        yield
    except BaseException:
        for path in written:
            default_storage.delete(path)
        raise
    finally:
        _written.reset(token)


def executed_pdf_store(execution: DpaExecution, content: bytes) -> tuple[str, str]:
    """Store the executed file under a name derived from its hash (never overwritten). Returns (path, sha256).

    The same bytes already there (a retry after an earlier attempt was rolled back) are reused; other bytes
    under that name are refused."""
    sha = hashlib.sha256(content).hexdigest()
    path = f"{EXECUTED_DIR}/{execution.public_id}-{sha[:16]}.pdf"
    if default_storage.exists(path):
        with default_storage.open(path, "rb") as fh:
            if hashlib.sha256(fh.read()).hexdigest() == sha:
                return path, sha
        raise FileExistsError(path)
    saved = default_storage.save(path, ContentFile(content))
    written = _written.get()
    if written is not None:
        written.append(saved)
    return saved, sha
