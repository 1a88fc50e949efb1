from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from portal.deadlines.calendar import local_date
from portal.evidence.views import prepared_file_response
from subprocessors.listing.exports import list_csv, snapshot_pdf_prepare
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
    """Today's snapshot once a worker has rendered it; until then a page that says so and reloads itself (202
    with Retry-After for API clients). Anyone may have it, like the list."""
    job = snapshot_pdf_prepare(actor=request.user)
    return prepared_file_response(
        request,
        job,
        filename=f"subprocessors-{job.task_args[0]}.pdf",
        disposition="inline",
        cache="",
        back_url=reverse("listing:list"),
    )
