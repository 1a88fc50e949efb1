from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from portal.deadlines.calendar import local_date
from subprocessors.listing.exports import list_csv, list_pdf
from subprocessors.listing.forms import ListFilterForm


@require_safe
def export_csv(request):
    form = ListFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        errors = "; ".join(f"{field}: {' '.join(map(str, msgs))}" for field, msgs in form.errors.items())
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(list_csv(filters=form.filters()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="subprocessors-{local_date(timezone.now()).isoformat()}.csv"'
    )
    return response


@require_safe
def export_pdf(request):
    response = HttpResponse(list_pdf(), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="subprocessors-{local_date(timezone.now()).isoformat()}.pdf"'
    return response
