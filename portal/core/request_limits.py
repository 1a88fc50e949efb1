"""Bounded request bodies and rate limits that hold before anything reads the body.

RequestLimitMiddleware enforces them in its process_view, which runs before CsrfViewMiddleware's (that one reads
request.POST, parsing a multipart body). Every request may send at most MAX_REQUEST_BODY_BYTES (a body that is not
multipart/form-data at most DATA_UPLOAD_MAX_MEMORY_SIZE); a view marked with `@request_limits` may set a smaller
maximum and a rate limit. Content-Length is checked first; the upload handler counts what actually streams in, for
a body longer than it said. The reverse proxy should refuse oversized bodies first (nginx client_max_body_size).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse, JsonResponse, UnreadablePostError
from django.shortcuts import render

from portal.core.ratelimit import rate_limited

FILE_TOO_LARGE = "The upload is too large: at most {limit} can be sent here."
BODY_TOO_LARGE = "The request is too large: at most {limit} can be sent here."
LENGTH_REQUIRED = "Send the request with a Content-Length header: request bodies of unknown length are not accepted."
TOO_MANY_REQUESTS = "Too many requests from your network. Please try again in a few minutes."

Refusal = Callable[[HttpRequest, str, int], HttpResponse]


def size_label(size: int) -> str:
    """10 MB, 2.5 MB, 64 KB: a limit as people read it (binary units, as Django's filesizeformat)."""
    if size >= 1024 * 1024:
        return f"{round(size / (1024 * 1024), 1):g} MB"
    return f"{round(size / 1024, 1):g} KB"


class RequestBodyTooLarge(RequestDataTooBig):
    """More bytes streamed in than the request's limit. A RequestDataTooBig, so that wherever it is not turned
    into a 413 Django still answers 400 rather than 500."""

    def __init__(self, limit: int):
        super().__init__(FILE_TOO_LARGE.format(limit=size_label(limit)))
        self.limit = limit


@dataclass(frozen=True)
class RequestLimits:
    """What a view allows. `max_body` and `rate` are setting names (or a byte count), read per request."""

    max_body: str | int | None = None
    rate: str | None = None
    scope: str = ""
    rate_message: str = TOO_MANY_REQUESTS
    refused: Refusal | None = None

    def max_body_bytes(self) -> int:
        limit = settings.MAX_REQUEST_BODY_BYTES
        if self.max_body is not None:
            own = self.max_body if isinstance(self.max_body, int) else getattr(settings, self.max_body)
            limit = min(limit, own)
        return limit

    def refuse(self, request: HttpRequest, message: str, status: int) -> HttpResponse:
        if self.refused is not None:
            return self.refused(request, message, status)
        return refusal(request, message, status)


DEFAULT_LIMITS = RequestLimits()


def request_limits(
    *,
    max_body: str | int | None = None,
    rate: str | None = None,
    scope: str = "",
    rate_message: str = TOO_MANY_REQUESTS,
    refused: Refusal | None = None,
):
    """Mark a view (function or class) with its limits, as csrf_exempt marks it; the middleware enforces them.

    `max_body`: a setting name (or bytes) for a maximum body smaller than MAX_REQUEST_BODY_BYTES. `rate` and
    `scope`: a setting name holding a portal.core.ratelimit rate, counted per client address for unsafe methods,
    before the body is read. `refused(request, message, status)` renders the view's own page for a 413/429/411.
    """
    if rate and not scope:
        raise ValueError("A rate limit needs a scope.")
    limits = RequestLimits(max_body=max_body, rate=rate, scope=scope, rate_message=rate_message, refused=refused)

    def mark(view):
        view.request_limits = limits
        return view

    return mark


def limits_for(view) -> RequestLimits:
    own = getattr(view, "request_limits", None) or getattr(getattr(view, "view_class", None), "request_limits", None)
    return own or DEFAULT_LIMITS


def refusal(request: HttpRequest, message: str, status: int) -> HttpResponse:
    """The default answer: DRF's error shape under /api/, a page in the site's layout elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status)
    return render(request, "core/request_refused.html", {"message": message}, status=status)


class BodyLimitUploadHandler(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: counts the file bytes of a multipart body as they stream in and stops at the
    request's limit (set by the middleware; MAX_REQUEST_BODY_BYTES otherwise).

    Content-Length is checked before parsing, and under WSGI the body cannot be longer than it says; under ASGI
    Django reads the stream to its end, so a body whose Content-Length understates it is stopped here. Raising
    (rather than StopUpload, which leaves a form without its file) makes the middleware answer 413.
    """

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.limit = getattr(self.request, "max_body_bytes", None) or settings.MAX_REQUEST_BODY_BYTES
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            raise RequestBodyTooLarge(self.limit)
        return raw_data

    def file_complete(self, file_size):
        return None


class RequestLimitMiddleware:
    """Refuse oversized request bodies, and rate-limited callers, before anything reads the body.

    Placed before CsrfViewMiddleware, whose process_view parses a POSTed form. For the view about to run (limits
    from `request_limits`, or the defaults): its rate limit (429), a body of unknown length (411), then
    Content-Length against its maximum (413). A form POST that CSRF would parse next is parsed here, with
    BodyLimitUploadHandler counting the bytes, so a body longer than it said is a 413 as well; other consumers
    (DRF, csrf-exempt views) parse later, and process_exception answers the same 413.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        limits = request.request_limits = limits_for(view_func)
        unsafe = request.method not in ("GET", "HEAD", "OPTIONS", "TRACE")
        if limits.rate and unsafe and rate_limited(request, scope=limits.scope, rate=getattr(settings, limits.rate)):
            return limits.refuse(request, limits.rate_message, 429)
        declared = request.META.get("CONTENT_LENGTH")
        if not declared and "HTTP_TRANSFER_ENCODING" in request.META:
            # Django reads no body without Content-Length: the view would see an empty form, not an error.
            return limits.refuse(request, LENGTH_REQUIRED, 411)
        request.max_body_bytes = limits.max_body_bytes()
        multipart = request.content_type == "multipart/form-data"
        limit = request.max_body_bytes if multipart else _data_limit(request.max_body_bytes)
        try:
            length = int(declared or 0)
        except ValueError:
            length = 0  # as Django: a body of unreadable length is not read
        if length > limit:
            return limits.refuse(
                request, (FILE_TOO_LARGE if multipart else BODY_TOO_LARGE).format(limit=size_label(limit)), 413
            )
        csrf_parses = request.method == "POST" and not getattr(view_func, "csrf_exempt", False)
        if csrf_parses and request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
            try:
                request.POST  # noqa: B018 - parse now, under the limits, rather than in CsrfViewMiddleware
            except RequestDataTooBig as exc:
                return _too_large(request, exc)
            except UnreadablePostError:
                pass  # the client went away; CsrfViewMiddleware handles that as before
        return None

    def process_exception(self, request, exception):
        if isinstance(exception, RequestDataTooBig):
            return _too_large(request, exception)
        return None


def _data_limit(limit: int) -> int:
    if settings.DATA_UPLOAD_MAX_MEMORY_SIZE is None:
        return limit
    return min(limit, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


def _too_large(request, exc: RequestDataTooBig):
    """A body that streamed past its limit (our upload handler) or past Django's DATA_UPLOAD_MAX_MEMORY_SIZE."""
    if isinstance(exc, RequestBodyTooLarge):
        message = FILE_TOO_LARGE.format(limit=size_label(exc.limit))
    else:
        limit = getattr(request, "max_body_bytes", settings.MAX_REQUEST_BODY_BYTES)
        message = BODY_TOO_LARGE.format(limit=size_label(_data_limit(limit)))
    limits = getattr(request, "request_limits", None) or DEFAULT_LIMITS
    return limits.refuse(request, message, 413)
