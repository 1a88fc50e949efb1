"""One log line per request, with the ids that tie it to everything else the request logged.

`RequestLogMiddleware` is django-structlog's request middleware with the portal's rules:

- the request id is the incoming `X-Request-ID` when it is well formed (what proxies and load balancers send),
  otherwise a new UUID; it is bound to every line the request logs, passed on to the Celery tasks it enqueues,
  and returned in the response's `X-Request-ID` header;
- the line (`request_finished`, or `request_failed` with the traceback) has `method`, `path`, `status`,
  `duration_ms`, `request_id`, `user_id` and, for a member of an organisation, `organisation_id` (its public id;
  `organisation_ids` when the user belongs to several);
- nothing else about the person: no client address, no user agent, no query string (tokens travel there), and the
  secret in a capability link's path (`/dpa/sign/<token>/`) is replaced by `[Filtered]`.
"""

import re
import time
import uuid

import sentry_sdk
import structlog
from django.db import DatabaseError
from django.dispatch import receiver
from django_structlog import signals
from django_structlog.middlewares import RequestMiddleware

from portal.core.user_memo import user_memo
from portal.observability import redact_path
from portal.organisations.models import Membership

REQUEST_ID_HEADER = "X-Request-ID"
# UUIDs, hex and similar ids; anything else (too long, spaces, control characters) is replaced, so a client cannot
# write arbitrary text into the logs.
WELL_FORMED_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")


def request_id_for(incoming: str | None) -> str:
    if incoming and WELL_FORMED_REQUEST_ID.fullmatch(incoming):
        return incoming
    return str(uuid.uuid4())


def loggable_path(request) -> str:
    match = getattr(request, "resolver_match", None)
    return redact_path(request.path, match.kwargs if match is not None else {})


def organisation_fields(user_id) -> dict | None:
    """The public ids of the user's organisations, for the log line (one query, only for a signed-in user, and
    remembered for a few minutes by portal.core.user_memo). None when the database failed, so that the failure
    is not remembered."""
    try:
        ids = sorted(
            str(public_id)
            for public_id in Membership.objects.filter(user_id=user_id)
            .order_by()  # no join for the default ordering: sorted here
            .values_list("organisation__public_id", flat=True)[:20]
        )
    except DatabaseError:  # the line matters more than the organisation: never fail a request for it
        return None
    if not ids:
        return {}
    if len(ids) == 1:
        return {"organisation_id": ids[0]}
    return {"organisation_ids": ids}


class RequestLogMiddleware(RequestMiddleware):
    def prepare(self, request) -> None:
        request_id = request_id_for(request.headers.get(REQUEST_ID_HEADER))
        # django-structlog reads the id from the header (DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID)
        request.META["HTTP_X_REQUEST_ID"] = request_id
        request.__dict__.pop("headers", None)
        request.request_id = request_id
        request._log_started = time.monotonic()
        super().prepare(request)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        # an error report names the request id too (a no-op without SENTRY_DSN)
        sentry_sdk.get_isolation_scope().set_tag("request_id", request_id)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # After the authentication middleware: every line the view logs carries the user and the organisation.
        self.bind_user_id(request)
        _bind_organisation(request)

    def handle_response(self, request, response) -> None:
        response.headers[REQUEST_ID_HEADER] = getattr(request, "request_id", "")
        super().handle_response(request, response)

    @staticmethod
    def bind_user_id(request) -> None:
        # Also called while an exception is handled: when the database is what failed, loading the session's user
        # fails too, and the error page must still render.
        try:
            RequestMiddleware.bind_user_id(request)
        except DatabaseError:
            structlog.contextvars.bind_contextvars(user_id=None)

    @classmethod
    def bind_ip(cls, request) -> None:
        """A client address is personal data: not logged."""

    @staticmethod
    def format_request(request) -> str:
        return f"{request.method} {loggable_path(request)}"


def _bind_organisation(request) -> None:
    # The user as django-structlog bound it: reading request.user here would mark the session as accessed.
    user_id = structlog.contextvars.get_contextvars().get("user_id")
    cached = getattr(request, "_log_organisation", None)
    if cached is not None and cached[0] == user_id:
        return
    # remembered for a few minutes (portal.core.user_memo): a signed-in page then costs no query for its log line
    fields: dict = {}
    if user_id is not None:
        fields = user_memo(request, user_id, "log_organisations", lambda: organisation_fields(user_id)) or {}
    structlog.contextvars.unbind_contextvars("organisation_id", "organisation_ids")
    structlog.contextvars.bind_contextvars(**fields)
    request._log_organisation = (user_id, fields)


def _request_fields(request, log_kwargs: dict, status: int) -> None:
    log_kwargs.pop("request", None)
    log_kwargs.pop("code", None)
    log_kwargs.update(method=request.method, path=loggable_path(request), status=status)
    started = getattr(request, "_log_started", None)
    if started is not None:
        log_kwargs["duration_ms"] = round((time.monotonic() - started) * 1000)
    # an API token's user is known only after the view (DRF authenticates there)
    _bind_organisation(request)


@receiver(signals.bind_extra_request_metadata, sender=RequestLogMiddleware)
def _request_started(sender, request, logger, log_kwargs, **kwargs):
    log_kwargs.pop("user_agent", None)


@receiver(signals.bind_extra_request_finished_metadata, sender=RequestLogMiddleware)
def _request_finished(sender, request, logger, response, log_kwargs, **kwargs):
    _request_fields(request, log_kwargs, response.status_code)


@receiver(signals.bind_extra_request_failed_metadata, sender=RequestLogMiddleware)
def _request_failed(sender, request, logger, exception, log_kwargs, **kwargs):
    _request_fields(request, log_kwargs, 500)
