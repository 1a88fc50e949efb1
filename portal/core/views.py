"""Error pages in the portal's layout: 400, 403 (CSRF included), 404, 429, 500, and 503 for an evidence file that
failed its integrity check.

People get the portal's header, a plain explanation and a way back; API clients (paths under /api/) get DRF's JSON
shape. The 500 page must render when the cause is the database or a template: it is tried in the full layout
first, then as a self-contained page without context processors or static files, then as a fixed string."""

import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template import loader

logger = logging.getLogger(__name__)

FALLBACK_500 = (
    "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Server error</title></head>"
    "<body><main><h1>Something went wrong on our side</h1><p>Nothing you did caused this. Please try again in a "
    "few minutes.</p><p><a href='/'>Back to the home page</a></p></main></body></html>"
)

EVIDENCE_ALTERED = (
    "This file failed its integrity check and was not sent. Our legal team has been alerted; please try again "
    "later or contact {support}."
)
EVIDENCE_MISSING = (
    "This file could not be found in storage and was not sent. Our legal team has been alerted; please try again "
    "later or contact {support}."
)

PAGES = {
    400: ("errors/400.html", "Bad request."),
    403: ("errors/403.html", "You do not have permission to perform this action."),
    404: ("errors/404.html", "Not found."),
    429: ("errors/429.html", "Too many requests."),
    500: ("errors/500.html", "Server error."),
}


def _is_api(request) -> bool:
    return request is not None and request.path.startswith("/api/")


def error_page(request, status: int, *, reason: str = "") -> HttpResponse:
    template, detail = PAGES[status]
    if _is_api(request):
        return JsonResponse({"detail": detail}, status=status)
    body = loader.render_to_string(template, {"status": status, "reason": reason}, request=request)
    return HttpResponse(body, status=status)


def bad_request(request, exception=None):
    return error_page(request, 400)


def permission_denied(request, exception=None):
    return error_page(request, 403, reason=str(exception or ""))


def not_found(request, exception=None):
    return error_page(request, 404)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: an expired form (the usual cause) explained, with the way to try again."""
    return error_page(request, 403, reason="csrf")


def too_many_requests(request, exception=None):
    return error_page(request, 429)


def evidence_unavailable(request, error) -> HttpResponse:
    """A stored evidence file was missing or altered (portal.evidence.files): 503, never its bytes."""

    template = EVIDENCE_MISSING if error.missing else EVIDENCE_ALTERED
    message = template.format(support=settings.PORTAL_SUPPORT_EMAIL)
    if _is_api(request):
        response: HttpResponse = JsonResponse({"detail": message}, status=503)
    else:
        body = loader.render_to_string("errors/503_evidence.html", {"status": 503, "message": message}, request=request)
        response = HttpResponse(body, status=503)
    response["Retry-After"] = "3600"
    response["Cache-Control"] = "private, no-store"
    return response


def server_error(request):
    if _is_api(request):
        return JsonResponse({"detail": PAGES[500][1]}, status=500)
    try:
        return error_page(request, 500)
    except Exception:  # the layout needs the database (user, navigation); the error may be the database
        logger.exception("the 500 page could not render in the full layout")
    try:
        return HttpResponse(loader.render_to_string("errors/500_plain.html"), status=500)
    except Exception:
        logger.exception("the plain 500 page could not render")
        return HttpResponse(FALLBACK_500, status=500)
