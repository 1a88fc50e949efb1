"""Renderings of the current list for download: CSV and a PDF snapshot (WeasyPrint).

The CSV is built once per list version and kept in the cache. The PDF takes WeasyPrint about a second per 60 rows
(40 s for 2,400), so it is never rendered in a request: it is a prepared file (portal.evidence.prepared), one per
list version and local day (it carries the date), rendered once by a worker and served from storage."""

import csv
import datetime as dt
import hashlib
import io

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import timezone

from portal.deadlines.calendar import local_date
from portal.evidence.models import PreparedFile
from portal.evidence.prepared import prepare
from subprocessors.listing.cache import public_list_version
from subprocessors.listing.selectors import last_updated, public_subprocessors
from subprocessors.listing.serializers import PUBLIC_FIELDS
from subprocessors.listing.views import group_rows

CACHE_SECONDS = 86400
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "|", "%")


def csv_cell(value) -> str:
    """Neutralise spreadsheet formula injection: a cell that starts like a formula is prefixed with '."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def list_csv(*, filters: dict | None = None) -> bytes:
    digest = hashlib.sha256(repr(sorted((filters or {}).items())).encode()).hexdigest()[:24]
    key = f"subprocessors:csv:{public_list_version()}:{digest}"
    data = cache.get(key)
    if data is None:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(PUBLIC_FIELDS)
        for row in public_subprocessors(filters=filters or {}):
            writer.writerow([csv_cell(getattr(row, field)) for field in PUBLIC_FIELDS])
        # A BOM so spreadsheet programs read UTF-8 names correctly.
        data = ("\ufeff" + buffer.getvalue()).encode()
        cache.set(key, data, CACHE_SECONDS)
    return data


def _refuse_all_fetcher():
    """The snapshot's CSS is inline and it has no images: WeasyPrint may fetch nothing (no network, no files)."""
    from weasyprint.urls import URLFetcher  # noqa: PLC0415 - WeasyPrint loads only when it is used

    class RefuseAll(URLFetcher):
        def fetch(self, url, headers=None):
            raise ValueError(f"Blocked resource: {url}")

    return RefuseAll()


SNAPSHOT_KIND = "listing_snapshot"
SNAPSHOT_TASK = "subprocessors.listing.tasks.snapshot_pdf_task"


def list_pdf_html(*, as_of: dt.date | None = None) -> str:
    now = timezone.now()
    rows = list(public_subprocessors())
    return render_to_string(
        "listing/pdf/snapshot.html",
        {
            "groups": group_rows(rows),
            "count": len(rows),
            "today": as_of or local_date(now),
            "generated_at": now,
            "last_updated": last_updated(),
            "processor_name": settings.PORTAL_PROCESSOR_NAME,
            "site_url": settings.SITE_URL,
        },
    )


def list_pdf(*, as_of: dt.date | None = None) -> bytes:
    """A PDF snapshot of the active list, dated `as_of` (today in the portal time zone), with a footer on every
    page. Slow for long lists: called by the render task, never in a request."""
    from weasyprint import HTML  # noqa: PLC0415 - WeasyPrint loads only when it is used

    return HTML(string=list_pdf_html(as_of=as_of), url_fetcher=_refuse_all_fetcher()).write_pdf()


def snapshot_pdf_prepare(*, actor=None) -> PreparedFile:
    """Today's snapshot of the current list version: ready, or being prepared by a worker (one render per list
    version and local day however many people ask)."""
    today = local_date(timezone.now())
    return prepare(
        kind=SNAPSHOT_KIND,
        key=f"{public_list_version()}:{today.isoformat()}",
        task=SNAPSHOT_TASK,
        args=[today.isoformat()],
        actor=actor,
        label=f"sub-processor list as of {today:%-d %B %Y}",
    )


def snapshot_pdf_render(job: PreparedFile) -> bytes:
    """The render step of a snapshot row: the list as it is now, dated the day the row was asked for."""
    return list_pdf(as_of=dt.date.fromisoformat(job.task_args[0]))
