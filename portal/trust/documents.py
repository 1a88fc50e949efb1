"""Trust documents: upload (checked), replace (a new version; old files kept), retire, and authorised download
(every download audited; NDA-level PDFs stamped with the downloader's email and the date)."""

import hashlib
import io
import re
import unicodedata

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from portal.core.errors import ApplicationError
from portal.deadlines.calendar import local_date
from portal.evidence.files import open_verified
from portal.trust import events
from portal.trust.evidence import document_file_label
from portal.trust.models import AccessLevel, TrustDocument, TrustDocumentVersion
from portal.trust.selectors import active_access_for, user_can_open
from portal.trust.stamping import stamp_pdf

NOT_PDF = "Upload a PDF file (the file does not start with %PDF-)."
TOO_LARGE = "The file is larger than {limit} MB."
EMPTY = "The file is empty."
UNREADABLE = "The PDF could not be read (damaged or password-protected); export it again and retry."
VERSION_EXISTS = "Version {version} of this document already exists; give the new file a new version."
RETIRED = "This document is retired."
NO_ACCESS = "You do not have access to this document."


def sanitise_filename(name: str, fallback: str = "document") -> str:
    """An ASCII, path-free file name ending in .pdf, safe for Content-Disposition."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    stem = re.sub(r"\.pdf$", "", name, flags=re.IGNORECASE)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip(".-_")[:120]
    return f"{stem or fallback}.pdf"


def _read_checked(upload) -> bytes:
    limit = settings.TRUST_DOCUMENT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ApplicationError(TOO_LARGE.format(limit=limit // (1024 * 1024)), field="file")
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ApplicationError(TOO_LARGE.format(limit=limit // (1024 * 1024)), field="file")
    if not data:
        raise ApplicationError(EMPTY, field="file")
    if not data.startswith(b"%PDF-"):
        raise ApplicationError(NOT_PDF, field="file")
    try:
        from pypdf import PdfReader  # noqa: PLC0415 - pypdf loads only when it is used

        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted or len(reader.pages) == 0:
            raise ValueError("encrypted or empty")
    except Exception as exc:  # noqa: BLE001 - any parser failure means we cannot stamp or serve it safely
        raise ApplicationError(UNREADABLE, field="file") from exc
    return data


def _add_version(*, document, upload, version, published_on, actor) -> TrustDocumentVersion:
    data = _read_checked(upload)
    version = (version or "").strip()
    if TrustDocumentVersion.objects.filter(document=document, version=version).exists():
        raise ApplicationError(VERSION_EXISTS.format(version=version), field="version")
    row = TrustDocumentVersion(
        document=document,
        version=version,
        filename=sanitise_filename(upload.name or "", fallback=sanitise_filename(document.title)[:-4]),
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        published_on=published_on or local_date(timezone.now()),
        uploaded_by=actor,
    )
    row.file.save("upload.pdf", ContentFile(data), save=False)
    try:
        row.full_clean()
        row.save()
    except Exception:
        row.file.delete(save=False)
        raise
    document.current_version = row
    document.save(update_fields=["current_version", "updated_at"])
    return row


@transaction.atomic
def document_create(
    *, title, category, access_level, upload, version, actor, description="", published_on=None, request=None
) -> TrustDocument:
    doc = TrustDocument(title=title.strip(), description=description, category=category, access_level=access_level)
    doc.full_clean()
    doc.save()
    row = _add_version(document=doc, upload=upload, version=version, published_on=published_on, actor=actor)
    events.document_created(document=doc, version=row, actor=actor, request=request)
    return doc


@transaction.atomic
def document_replace(*, document, upload, version, actor, published_on=None, request=None) -> TrustDocumentVersion:
    doc = TrustDocument.objects.select_for_update(of=("self",)).select_related("current_version").get(pk=document.pk)
    if doc.retired_at:
        raise ApplicationError(RETIRED)
    before = doc.current_version.version if doc.current_version else None
    row = _add_version(document=doc, upload=upload, version=version, published_on=published_on, actor=actor)
    events.document_replaced(document=doc, before=before, version=row, actor=actor, request=request)
    return row


@transaction.atomic
def document_update(*, document, data: dict, actor, request=None) -> TrustDocument:
    doc = TrustDocument.objects.select_for_update().get(pk=document.pk)
    fields = [f for f in ("title", "description", "category", "access_level") if f in data]
    before = {f: getattr(doc, f) for f in fields}
    for f in fields:
        setattr(doc, f, data[f])
    doc.full_clean()
    doc.save()
    after = {f: getattr(doc, f) for f in fields}
    changed = [f for f in fields if before[f] != after[f]]
    if changed:
        events.document_updated(
            document=doc,
            before={f: before[f] for f in changed},
            after={f: after[f] for f in changed},
            actor=actor,
            request=request,
        )
    return doc


@transaction.atomic
def document_retire(*, document, actor, request=None) -> TrustDocument:
    doc = TrustDocument.objects.select_for_update().get(pk=document.pk)
    if doc.retired_at:
        return doc
    doc.retired_at = timezone.now()
    doc.save(update_fields=["retired_at", "updated_at"])
    events.document_retired(document=doc, actor=actor, request=request)
    return doc


def stamp_text(user, when) -> str:
    return (
        f"Confidential under NDA - downloaded by {user.email} on {local_date(when):%Y-%m-%d} "
        f"from the {settings.PORTAL_NAME} of {settings.PORTAL_PROCESSOR_NAME}. Do not share."
    )


def document_download(*, document: TrustDocument, user, request=None):
    """Check the level now (never cached past this request), audit, and return (content, file name).

    `content` is an open file to stream (the verified copy), or the stamped bytes for NDA-level documents. A stored
    file that is missing or no longer has its recorded SHA-256 raises EvidenceIntegrityError (a 503 page)."""
    if document.retired_at or document.current_version is None:
        raise PermissionDenied(RETIRED)
    if not user_can_open(user, document.access_level):
        raise PermissionDenied(NO_ACCESS)
    version = document.current_version
    now = timezone.now()
    stamped = document.access_level == AccessLevel.NDA
    grant = active_access_for(user)
    # The stored original is checked against its recorded SHA-256 first; stamping then changes the copy served.
    original = open_verified(
        path=version.file.name or "",
        sha256=version.sha256,
        what=document_file_label(version),
        target=document,
        organisation=grant.organisation_id if grant else None,
        request=request,
        actor=user if getattr(user, "is_authenticated", False) else None,
        storage=version.file.storage,
    )
    if stamped:
        with original:
            content = stamp_pdf(original.read(), stamp_text(user, now))
    else:
        content = original
    events.document_downloaded(
        document=document, version=version, user=user, grant=grant, stamped=stamped, request=request
    )
    return content, version.filename
