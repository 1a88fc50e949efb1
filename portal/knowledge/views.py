"""The public security FAQ (`/trust/faq/`) and its CSV export for security questionnaires."""

import csv
import io

from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from portal.core.csv import csv_safe
from portal.core.tables import valid_filters
from portal.deadlines.calendar import local_date
from portal.knowledge import events
from portal.knowledge.forms import SearchForm
from portal.knowledge.selectors import LOCKED_ANSWER, can_read_nda, faq_for, nda_next_step

CSV_HEADER = ["topic", "question", "answer", "last updated"]


def _filters(request) -> tuple[SearchForm, dict]:
    form = SearchForm(request.GET or None)
    data = valid_filters(form)
    return form, {"q": (data.get("q") or "").strip(), "topic": data.get("topic") or ""}


@require_safe
def faq_list(request):
    form, filters = _filters(request)
    groups = faq_for(user=request.user, **filters)
    locked = any(not row.readable for group in groups for row in group["rows"])
    return render(
        request,
        "knowledge/faq.html",
        {
            "form": form,
            "q": filters["q"],
            "topic": filters["topic"],
            "groups": groups,
            "count": sum(len(group["rows"]) for group in groups),
            "next_step": nda_next_step(request.user) if locked else None,
            "locked_answer": LOCKED_ANSWER,
            "export_query": urlencode({k: v for k, v in filters.items() if v}),
        },
    )


@require_safe
def export_csv(request):
    """Every entry the visitor may read, as on the page (same search), one row per question; a locked NDA-level
    answer is a cell saying so. Signed-in visitors' exports are recorded like document downloads."""
    form, filters = _filters(request)
    if form.errors:
        errors = "; ".join(f"{field}: {' '.join(map(str, msgs))}" for field, msgs in form.errors.items())
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    nda = can_read_nda(request.user)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    rows = nda_answers = 0
    for group in faq_for(user=request.user, **filters):
        for row in group["rows"]:
            entry = row.entry
            writer.writerow(
                [
                    csv_safe(group["topic"].name),
                    csv_safe(entry.question),
                    csv_safe(row.answer if row.readable else LOCKED_ANSWER),
                    local_date(entry.updated_at).isoformat(),
                ]
            )
            rows += 1
            nda_answers += int(row.readable and entry.visibility == entry.Visibility.NDA)
    if request.user.is_authenticated:
        with transaction.atomic():
            events.faq_exported(
                user=request.user,
                rows=rows,
                nda_answers=nda_answers,
                filters={k: v for k, v in filters.items() if v},
                request=request,
            )
    # A BOM so spreadsheet programs read UTF-8 text correctly.
    response = HttpResponse(("\ufeff" + buffer.getvalue()).encode(), content_type="text/csv; charset=utf-8")
    today = local_date(timezone.now()).isoformat()
    response["Content-Disposition"] = f'attachment; filename="security-faq-{today}.csv"'
    if nda or request.user.is_authenticated:
        response["Cache-Control"] = "private, no-store"
    return response
