"""The one renderer for DPA documents (WeasyPrint).

Every PDF is named by the SHA-256 of everything that goes into it (templates, text, Annex 1 rows, controller
name, watermark), rendered once and kept in the default storage; downloads are served from there.
"""

import datetime as dt
import hashlib
import json
import mimetypes
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.template import Engine
from django.template.loader import render_to_string
from django.utils import dateformat, timezone

from dpa.versions.annex import AnnexSnapshot, annex_as_data, annex_subprocessors
from dpa.versions.clauses import split_clauses
from dpa.versions.models import DpaVersion
from portal.deadlines.calendar import portal_tz
from portal.evidence.models import PreparedFile
from portal.evidence.prepared import StoredFile, prepare

_written: ContextVar[list[str] | None] = ContextVar("evidence_files_written", default=None)


INFORMATIONAL_WATERMARK = "Informational copy — not executed"
AGREEMENT_TEMPLATE = "versions/pdf/agreement.html"
SIGNATURE_TEMPLATE = "versions/pdf/signature_page.html"
STYLESHEET = "versions/pdf/agreement.css"
CACHE_DIR = "dpa/pdf"
VERSION_PDF_KIND = "dpa_version_pdf"
VERSION_PDF_TASK = "dpa.versions.tasks.version_pdf_task"


class FetchRefused(ValueError):
    pass


def _static_only_fetcher():
    """Only our own static files may be pulled into a PDF; anything else (file:, http:, data:) is refused."""

    from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: PLC0415 - WeasyPrint loads only when it is used

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            return url_fetcher(url, response_class=URLFetcherResponse, guess=mimetypes.guess_type)

    return StaticOnlyFetcher(allowed_protocols=("static",))


def url_fetcher(url: str, *, response_class=None, guess=None):
    prefix = "static:"
    if url.startswith(prefix):
        path = finders.find(url[len(prefix) :].lstrip("/"))
        if path and response_class is not None:
            with open(path, "rb") as fh:
                body = fh.read()
            return response_class(url, body, {"Content-Type": guess(path)[0] or "application/octet-stream"})
    raise FetchRefused(f"PDF rendering does not fetch {url!r}")


def _template_source(name: str) -> str:
    return Engine.get_default().get_template(name).source


def html_to_pdf(html: str) -> bytes:
    from weasyprint import CSS, HTML  # noqa: PLC0415 - WeasyPrint loads only when it is used

    fetcher = _static_only_fetcher()
    css = CSS(string=_template_source(STYLESHEET), url_fetcher=fetcher)
    return HTML(string=html, url_fetcher=fetcher, base_url="static:/").write_pdf(stylesheets=[css])


@dataclass
class StoredPdf:
    path: str
    content_hash: str
    cached: bool

    def read(self) -> bytes:
        with default_storage.open(self.path, "rb") as fh:
            return fh.read()

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.read()).hexdigest()


def _digest(inputs: dict) -> str:
    canonical = json.dumps(inputs, sort_keys=True, cls=DjangoJSONEncoder, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _store_once(path: str, render) -> bool:
    """Write `render()` to `path` unless it is there already. Returns True when it was cached."""
    if default_storage.exists(path):
        return True
    saved = default_storage.save(path, ContentFile(render()))
    if saved != path:  # another process stored the same content meanwhile: keep theirs
        default_storage.delete(saved)
    return False


def annex_as_of_label(moment: dt.datetime) -> str:
    """How Annex 1 names its as-of moment, in the portal's time zone: "30 November 2026, 10:14 CET"."""
    return dateformat.format(timezone.localtime(moment, portal_tz()), "j F Y, H:i T")


def agreement_inputs(
    version: DpaVersion, *, controller_name: str = "", watermark: str = "", annex: AnnexSnapshot | None = None
) -> dict:
    """Everything that goes into the PDF. Without `annex`, Annex 1 is the list on the effective date (the
    informational copies); with it, the list at the moment it was taken (the agreement for signature)."""
    return {
        "templates": [_template_source(AGREEMENT_TEMPLATE), _template_source(STYLESHEET)],
        "processor": settings.PORTAL_PROCESSOR_NAME,
        "label": version.label,
        "title": version.title,
        "body": version.body,
        "effective_date": version.effective_date,
        "annex": annex.rows if annex else annex_as_data(annex_subprocessors(version.effective_date)),
        "annex_as_of": annex_as_of_label(annex.as_of) if annex else "",
        "controller": controller_name,
        "watermark": watermark,
    }


def _render_agreement(version: DpaVersion, inputs: dict) -> bytes:
    clauses = split_clauses(version.body)
    annexes = [i for i, c in enumerate(clauses, start=1) if c.kind == "annex"]
    html = render_to_string(
        AGREEMENT_TEMPLATE,
        {
            "version": version,
            "clauses": clauses,
            "annex_position": annexes[0] if annexes else None,
            "annex_rows": inputs["annex"],
            "annex_as_of": inputs["annex_as_of"],
            "processor_name": inputs["processor"],
            "controller_name": inputs["controller"],
            "watermark": inputs["watermark"],
        },
    )
    return html_to_pdf(html)


def version_pdf(
    version: DpaVersion, *, controller_name: str = "", watermark: str = "", annex: AnnexSnapshot | None = None
) -> StoredPdf:
    """The version's PDF (for one controller, or generic; optionally watermarked; Annex 1 from `annex` when
    given), from the cache if rendered."""
    inputs = agreement_inputs(version, controller_name=controller_name, watermark=watermark, annex=annex)
    digest = _digest(inputs)
    path = f"{CACHE_DIR}/{digest}.pdf"
    cached = _store_once(path, lambda: _render_agreement(version, inputs))
    return StoredPdf(path=path, content_hash=digest, cached=cached)


def informational_pdf(version: DpaVersion) -> StoredPdf:
    return version_pdf(version, watermark=INFORMATIONAL_WATERMARK)


def version_pdf_if_stored(version: DpaVersion, *, watermark: str = "") -> StoredPdf | None:
    """The version's PDF if it has been rendered already, else None; never renders (for requests)."""
    digest = _digest(agreement_inputs(version, watermark=watermark))
    path = f"{CACHE_DIR}/{digest}.pdf"
    return StoredPdf(path=path, content_hash=digest, cached=True) if default_storage.exists(path) else None


def version_pdf_prepare(version: DpaVersion, *, watermark: str, actor, permission: str = "") -> PreparedFile:
    """A worker renders the version's PDF (a request never waits for WeasyPrint); one row per content digest."""
    digest = _digest(agreement_inputs(version, watermark=watermark))
    return prepare(
        kind=VERSION_PDF_KIND,
        key=f"{version.pk}:{digest}",
        task=VERSION_PDF_TASK,
        args=[version.pk, watermark],
        actor=actor,
        label=f"DPA {version.label}",
        permission=permission,
    )


def version_pdf_render(job: PreparedFile) -> StoredFile:
    """The render step of a version PDF row: rendered into the content-addressed cache, which it points at."""
    version = DpaVersion.objects.get(pk=job.task_args[0])
    stored = version_pdf(version, watermark=job.task_args[1])
    content = stored.read()
    return StoredFile(path=stored.path, sha256=hashlib.sha256(content).hexdigest(), size=len(content))
