"""The public sub-processor list and its history. The list body is rendered once per filter combination and
list version (see services/cache.py) and kept in the cache; the layout around it is rendered per request."""

import hashlib
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from subprocessors.listing.cache import public_list_version
from subprocessors.listing.forms import ListFilterForm, SubscribeForm
from subprocessors.listing.models import Subprocessor
from subprocessors.listing.selectors import country_codes_in_use, history_revisions, last_updated, public_subprocessors

FILTER_KEYS = ("q", "category", "country", "eea_only", "no_retention", "no_training")


def group_rows(rows) -> list[dict]:
    """The three tables of the reference list, in its order, each with its rows."""
    groups: dict[str, dict[str, Any]] = {
        c.value: {"key": c.value, "label": c.label, "rows": []} for c in Subprocessor.Category
    }
    for row in rows:
        groups[row.category]["rows"].append(row)
    return list(groups.values())


def _render_body(form: ListFilterForm, filters: dict) -> str:
    rows = list(public_subprocessors(filters=filters))
    total = Subprocessor.objects.filter(status=Subprocessor.Status.ACTIVE).count()
    context = {
        "form": form,
        "filters": filters,
        "filtered": any(filters.values()),
        "groups": group_rows(rows),
        "shown": len(rows),
        "total": total,
        "last_updated": last_updated(),
    }
    return render_to_string("listing/_list_body.html", context)


def _plain_visitor(request) -> bool:
    """No session and no pending messages: the whole page is the same for every such visitor."""
    return settings.SESSION_COOKIE_NAME not in request.COOKIES and "messages" not in request.COOKIES


@require_GET
def subprocessor_list(request):
    params = request.GET
    form = ListFilterForm(params if any(k in params for k in FILTER_KEYS) else None)
    valid = not form.is_bound or form.is_valid()
    filters = form.filters()
    body = key = None
    if valid:
        digest = hashlib.sha256(repr(sorted(filters.items())).encode()).hexdigest()[:24]
        key = f"subprocessors:page:{public_list_version()}:{digest}"
        if _plain_visitor(request):
            page = cache.get(key + ":full")
            if page is not None:
                return HttpResponse(page)
        body = cache.get(key)
    timeout = 600 if filters.get("search") else settings.SUBPROCESSORS_PAGE_CACHE_SECONDS
    if body is None:
        form.set_country_options(country_codes_in_use())
        body = _render_body(form, filters)
        if key:
            cache.set(key, body, timeout)
    response = render(
        request,
        "listing/list.html",
        {
            "body": mark_safe(body),  # noqa: S308 - rendered by us with autoescape  # nosec
            "subscribe_form": SubscribeForm(),
            "filter_query": urlencode([(k, params[k]) for k in FILTER_KEYS if params.get(k)]) if valid else "",
        },
        status=200 if valid else 400,
    )
    if key and _plain_visitor(request) and not request.user.is_authenticated:
        cache.set(key + ":full", response.content, timeout)
    return response


@require_GET
def subprocessor_history(request):
    page = Paginator(history_revisions(), 50).get_page(request.GET.get("page"))
    return render(request, "listing/history.html", {"page": page, "last_updated": last_updated()})
