from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse, HttpResponseBase, HttpResponseNotModified, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from portal.core.errors import ApplicationError
from portal.core.permissions import legal_required
from portal.evidence.files import open_verified
from portal.evidence.models import IssuedReport, PreparedFile
from portal.evidence.prepared import EXPECTED_SECONDS, RETRY_AFTER_SECONDS, may_retry, prepared_file_retry
from portal.evidence.reports import KIND_PERMISSIONS, issued_report_content

PREPARING_TEMPLATE = "evidence/prepared_file.html"
FAILED_TEMPLATE = "evidence/prepared_file_failed.html"
# A failed render is retried by the sweep after a minute or more: what a client is told to wait.
FAILED_RETRY_AFTER_SECONDS = 60


def issued_report_response(report, content: bytes, filename: str) -> HttpResponse:
    """An issued evidence PDF as a download, with the SHA-256 it was recorded under."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Report-SHA256"] = report.sha256
    return response


@legal_required()
def issued_report_download(request, public_id):
    """An issued report again, exactly as issued (the stored bytes, checked against the recorded SHA-256)."""
    report = get_object_or_404(IssuedReport, public_id=public_id)
    if not request.user.has_perm(KIND_PERMISSIONS[report.kind]):
        raise PermissionDenied("You may not open this kind of report.")
    content = issued_report_content(report=report, actor=request.user, request=request)
    return issued_report_response(report, content, f"{report.kind.replace('_', '-')}-{report.public_id}.pdf")


def wants_json(request) -> bool:
    """An API client: it asked for JSON (Accept) rather than a page."""
    return request.get_preferred_type(["text/html", "application/json"]) == "application/json"


def _etag(job: PreparedFile) -> str:
    return f'"{job.sha256}"'


def _file_headers(
    response: HttpResponseBase, job: PreparedFile, *, filename: str, disposition: str, cache: str
) -> None:
    response["Content-Type"] = "application/pdf"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["ETag"] = _etag(job)
    response["X-Content-Type-Options"] = "nosniff"
    if cache:
        response["Cache-Control"] = cache
    if job.issued_report_id:
        response["X-Report-SHA256"] = job.sha256


def _serve_ready(request, job: PreparedFile, *, filename: str, disposition: str, cache: str) -> HttpResponseBase:
    """The stored file; HEAD gets the headers only, a matching If-None-Match a 304. An issued report is read
    through `issued_report_content` (hash checked, download audited); other files through `open_verified`."""
    if _etag(job) in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        response: HttpResponseBase = HttpResponseNotModified()
        response["ETag"] = _etag(job)
        return response
    if request.method == "HEAD":
        response = HttpResponse()
        _file_headers(response, job, filename=filename, disposition=disposition, cache=cache)
        response["Content-Length"] = str(job.size or 0)
        return response
    if job.issued_report is not None:
        content = issued_report_content(report=job.issued_report, actor=request.user, request=request)
        response = HttpResponse(content)
    else:
        what = f"prepared file: {job.label or job.kind}"
        response = FileResponse(open_verified(path=job.path, sha256=job.sha256, what=what, target=job, request=request))
        response["Content-Length"] = str(job.size)
    _file_headers(response, job, filename=filename, disposition=disposition, cache=cache)
    return response


def _status_body(request, job: PreparedFile, retry_after: int) -> dict:
    url = request.build_absolute_uri(request.path)
    return {
        "status": job.status,
        "kind": job.kind,
        "id": str(job.public_id),
        "status_url": url,
        "download_url": url,
        "retry_after": retry_after,
        "requested_at": job.created_at.isoformat(),
        "detail": (
            "The file is being prepared. Ask the status_url again after retry_after seconds: it answers 202 until "
            "the file is ready, then the file itself."
            if not job.is_failed
            else "Preparing the file failed. It is retried automatically; ask again later."
        ),
    }


def _waiting(request, job: PreparedFile, *, back_url: str, api: bool = False) -> HttpResponse:
    if api or wants_json(request):
        response: HttpResponse = JsonResponse(_status_body(request, job, RETRY_AFTER_SECONDS), status=202)
    else:
        context = {"job": job, "expected_seconds": EXPECTED_SECONDS, "back_url": back_url, "url": request.path}
        response = render(request, PREPARING_TEMPLATE, context, status=202)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _failed(request, job: PreparedFile, *, back_url: str, api: bool = False) -> HttpResponse:
    if api or wants_json(request):
        response: HttpResponse = JsonResponse(_status_body(request, job, FAILED_RETRY_AFTER_SECONDS), status=503)
    else:
        staff = may_retry(request.user, job)
        context = {"job": job, "back_url": back_url, "url": request.path, "can_retry": staff, "show_error": staff}
        response = render(request, FAILED_TEMPLATE, context, status=503)
    response["Retry-After"] = str(FAILED_RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def prepared_file_response(
    request,
    job: PreparedFile,
    *,
    filename: str,
    disposition: str = "attachment",
    cache: str = "private, no-store",
    back_url: str = "",
    api: bool = False,
) -> HttpResponseBase:
    """What a download URL answers for its prepared file: the file once ready, "being prepared" until then (a
    page that reloads itself every few seconds, or 202 + Retry-After + a JSON status for API clients), and a
    503 (with Retry-After; legal staff may retry at once) when the render failed. The caller has already checked
    who may have the file. `api=True` (an API operation) answers the JSON status whatever the Accept header says:
    a script asking with `Accept: */*` (curl's default) or `application/pdf` is not a browser."""
    if job.is_ready:
        return _serve_ready(request, job, filename=filename, disposition=disposition, cache=cache)
    if job.is_failed:
        return _failed(request, job, back_url=back_url, api=api)
    return _waiting(request, job, back_url=back_url, api=api)


@require_POST
@legal_required()
def prepared_file_retry_view(request, public_id):
    """Legal staff retry a failed render now, then go back to the download URL (which shows the progress)."""
    job = get_object_or_404(PreparedFile, public_id=public_id)
    if not may_retry(request.user, job):
        raise PermissionDenied("You may not retry this file.")
    try:
        prepared_file_retry(job=job, actor=request.user, request=request)
        messages.success(request, "Trying again: the file is being prepared.")
    except ApplicationError as exc:
        messages.info(request, exc.message)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = ""
    return redirect(target or "staff:home")
