"""Renderings of the current list for download: CSV and a PDF snapshot (WeasyPrint).

Both are built once per list version (and, for the PDF, per local day, since it carries the date) and kept in
the cache, so a download never recomputes them while the list is unchanged."""

import csv
import hashlib
import io

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import timezone

from portal.deadlines.calendar import local_date
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


def list_pdf_html() -> str:
    now = timezone.now()
    rows = list(public_subprocessors())
    return render_to_string(
        "listing/pdf/snapshot.html",
        {
            "groups": group_rows(rows),
            "count": len(rows),
            "today": local_date(now),
            "generated_at": now,
            "last_updated": last_updated(),
            "processor_name": settings.PORTAL_PROCESSOR_NAME,
            "site_url": settings.SITE_URL,
        },
    )


def list_pdf() -> bytes:
    """A PDF snapshot of the active list, dated today (portal time zone), with a footer on every page."""
    key = f"subprocessors:pdf:{public_list_version()}:{local_date(timezone.now()).isoformat()}"
    data = cache.get(key)
    if data is None:
        from weasyprint import HTML  # noqa: PLC0415 - WeasyPrint loads only when it is used

        data = HTML(string=list_pdf_html(), url_fetcher=_refuse_all_fetcher()).write_pdf()
        cache.set(key, data, CACHE_SECONDS)
    return data
