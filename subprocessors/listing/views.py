"""The public sub-processor list and its history.

Anonymous visitors get whole pages from `portal.core.page_cache` (declared in this app's AppConfig). For
everyone else the page below its heading (exports, filters, one page of rows, the subscribe box) is rendered
once per list version (see cache.py), filter combination and page, and kept in the cache, read with the version
in one round trip; only the layout around it is rendered per request."""

import hashlib
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from subprocessors.listing.apps import FILTER_KEYS
from subprocessors.listing.cache import VERSION_KEY, public_list_version
from subprocessors.listing.forms import ListFilterForm, SubscribeForm
from subprocessors.listing.models import Subprocessor
from subprocessors.listing.selectors import country_codes_in_use, history_revisions, last_updated, public_subprocessors

# Rows per page of the HTML list: a list of thousands of rows stays a page of about 100 KB; the CSV, JSON and
# PDF exports carry the whole list.
PAGE_SIZE = 100


def group_rows(rows, counts: dict[str, int] | None = None) -> list[dict]:
    """The three tables of the reference list, in its order, each with its rows (and its count over all pages)."""
    groups: dict[str, dict[str, Any]] = {
        c.value: {"key": c.value, "label": c.label, "rows": [], "count": (counts or {}).get(c.value, 0)}
        for c in Subprocessor.Category
    }
    for row in rows:
        groups[row.category]["rows"].append(row)
    if counts is None:
        for group in groups.values():
            group["count"] = len(group["rows"])
    return list(groups.values())


def category_counts(filters: dict) -> tuple[dict[str, int], int]:
    """Rows matching the filters per table, and the number of active rows, in one query."""
    matching = public_subprocessors(filters=filters).order_by().values("pk")
    per_category = (
        Subprocessor.objects.filter(status=Subprocessor.Status.ACTIVE)
        .order_by()
        .values("category")
        .annotate(total=Count("pk"), shown=Count("pk", filter=Q(pk__in=matching)))
    )
    counts = {row["category"]: row["shown"] for row in per_category}
    return counts, sum(row["total"] for row in per_category)


def _render_body(form: ListFilterForm, filters: dict, page_number, filter_query: str) -> str:
    counts, total = category_counts(filters)
    paginator = Paginator(public_subprocessors(filters=filters), PAGE_SIZE)
    paginator.count = sum(counts.values())  # known already: no COUNT query of its own
    page = paginator.get_page(page_number)
    rows = list(page.object_list) if paginator.count else []
    context = {
        "form": form,
        "filters": filters,
        "filtered": any(filters.values()),
        "groups": group_rows(rows, counts),
        "page": page,
        "query": filter_query,
        "filter_query": filter_query,
        "subscribe_form": SubscribeForm(),
        "shown": paginator.count,
        "total": total,
        "last_updated": last_updated(),
    }
    return render_to_string("listing/_list_main.html", context)


def _cached_body(key: str) -> tuple[str, str | None]:
    """(the list's version, the body stored under it or None), in one cache round trip: the version is kept in
    the entry and compared, so an entry from before the last change is never used."""
    found = cache.get_many([VERSION_KEY, key])
    version, stored = found.get(VERSION_KEY), found.get(key)
    if version is None:
        return public_list_version(), None
    if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == version:
        return version, stored[1]
    return version, None


@require_safe
def subprocessor_list(request):
    params = request.GET
    form = ListFilterForm(params if any(k in params for k in FILTER_KEYS) else None)
    valid = not form.is_bound or form.is_valid()
    filters = form.filters()
    filter_query = urlencode([(k, params[k]) for k in FILTER_KEYS if params.get(k)]) if valid else ""
    # As Paginator.get_page reads it (a non-number is the first page), so ?page=01 and ?page=x share an entry.
    try:
        page_number = str(int(params.get("page", "1")))
    except ValueError:
        page_number = "1"
    body = key = None
    if valid:
        raw = repr((sorted(filters.items()), filter_query, page_number))
        key = f"subprocessors:page:{hashlib.sha256(raw.encode()).hexdigest()[:24]}"
        version, body = _cached_body(key)
    if body is None:
        form.set_country_options(country_codes_in_use())
        body = _render_body(form, filters, page_number, filter_query)
        if key:
            # One-off searches and deep pages (any number can be asked for) leave the cache soon.
            timeout = 600 if filters.get("search") or page_number != "1" else settings.SUBPROCESSORS_PAGE_CACHE_SECONDS
            cache.set(key, (version, body), timeout)
    return render(
        request,
        "listing/list.html",
        {"body": mark_safe(body)},  # noqa: S308 - rendered by us with autoescape  # nosec
        status=200 if valid else 400,
    )


@require_safe
def subprocessor_history(request):
    page = Paginator(history_revisions(), 50).get_page(request.GET.get("page"))
    return render(request, "listing/history.html", {"page": page, "last_updated": last_updated()})
