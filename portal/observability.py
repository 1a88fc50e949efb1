"""Error reports (Sentry) and what may leave the process in them and in the logs.

Sentry is on only when SENTRY_DSN is set (settings.py calls `sentry_init`). Personal data stays out: the SDK sends
no user, address, cookie, body or local variables (`send_default_pii=False`, `include_local_variables=False`,
`max_request_body_size="never"`), and `scrub_event` removes what could still carry it: email addresses anywhere in
the event (message, exception values, breadcrumbs, extra, tags), cookies, credential headers, request bodies, the
secret in a link's path (`/dpa/sign/<token>/`) and secret-looking query parameters.
"""

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import sentry_sdk
from django.core.exceptions import ImproperlyConfigured
from django.urls import Resolver404, resolve
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.logging import ignore_logger

FILTERED = "[Filtered]"
EMAIL_REPLACEMENT = "[email]"
# Not RFC 5322's every local part: "/", "=", "&", "?" and quotes end it, so a path, a query or a quoted address
# loses only the address.
EMAIL_ADDRESS = re.compile(r"[\w.+%!#$^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
CREDENTIAL_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "x-csrftoken", "x-auth-token"}
)
# Links that are their own credential: email confirmation, password reset, invitation, signing, unsubscribe,
# breach acknowledgement, the obligations calendar feed. Their URL parameter names contain one of these.
SECRET_PATH_PARAMETER = re.compile(r"token|key|uidb36|secret", re.IGNORECASE)
SECRET_QUERY_PARAMETER = re.compile(
    r"token|key|secret|passw|sig|code|session|csrf|auth|email|mail|otp|state", re.IGNORECASE
)
# Loggers whose error lines repeat what Sentry's Django and Celery integrations already report (as a dict, not as
# the exception); reporting them would file every failure twice.
STRUCTURED_LOGGERS = ("django_structlog.middlewares.request", "portal.task_log")
_MAX_DEPTH = 20


def redact_text(text: str) -> str:
    return EMAIL_ADDRESS.sub(EMAIL_REPLACEMENT, text)


def redact_path(path: str, url_kwargs: dict[str, Any] | None = None) -> str:
    """The path with the secret of a capability link replaced. `url_kwargs` are the resolved URL's parameters;
    without them the path is resolved here (an unknown path has no parameters to hide)."""
    if url_kwargs is None:
        try:
            url_kwargs = resolve(path).kwargs
        except (Resolver404, ValueError):
            url_kwargs = {}
    for name, value in url_kwargs.items():
        text = str(value)
        if text and SECRET_PATH_PARAMETER.search(name):
            path = path.replace(text, FILTERED)
    return redact_text(path)


def redact_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode(
        [(name, FILTERED if SECRET_QUERY_PARAMETER.search(name) else redact_text(value)) for name, value in pairs],
        safe="[]",
    )


def redact_url(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    return urlunsplit(parts._replace(path=redact_path(parts.path), query=redact_query(parts.query)))


def scrub_value(value: Any, depth: int = 0) -> Any:
    """Strings with email addresses replaced, credential entries of dicts filtered, at any depth."""
    if depth > _MAX_DEPTH:
        return FILTERED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {
            redact_text(key) if isinstance(key, str) else key: (
                FILTERED if isinstance(key, str) and key.lower() in CREDENTIAL_HEADERS else scrub_value(item, depth + 1)
            )
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [scrub_value(item, depth + 1) for item in value]
    return value


def scrub_event(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """Sentry's `before_send` (and `before_send_transaction`): the event without personal data."""
    request = event.get("request")
    if isinstance(request, dict):
        request.pop("cookies", None)
        if request.get("data") is not None:
            request["data"] = FILTERED
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {
                name: FILTERED if name.lower() in CREDENTIAL_HEADERS else value for name, value in headers.items()
            }
        if isinstance(request.get("url"), str):
            request["url"] = redact_url(request["url"])
        if isinstance(request.get("query_string"), str):
            request["query_string"] = redact_query(request["query_string"])
        if isinstance(request.get("env"), dict):
            request["env"].pop("REMOTE_ADDR", None)
    user = event.get("user")
    if isinstance(user, dict):
        # an id is what the logs carry too; never an email, name or address
        event["user"] = {"id": user["id"]} if user.get("id") is not None else {}
    if isinstance(event.get("transaction"), str):
        event["transaction"] = redact_path(event["transaction"], url_kwargs={})
    return scrub_value(event)


def sentry_init(*, dsn: str, environment: str = "", traces_sample_rate: float | None = None) -> bool:
    """Start Sentry when a DSN is set; returns whether it did. Nothing is sent, nor imported, without one."""
    if not dsn:
        return False
    if traces_sample_rate is not None and not 0 <= traces_sample_rate <= 1:
        raise ImproperlyConfigured(f"SENTRY_TRACES_SAMPLE_RATE must be between 0 and 1 (it is {traces_sample_rate!r}).")

    options: dict[str, Any] = {}
    if environment:
        options["environment"] = environment
    if traces_sample_rate is not None:
        options["traces_sample_rate"] = traces_sample_rate
    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=scrub_event,  # type: ignore[arg-type]  # a plain dict in, the same dict out
        before_send_transaction=scrub_event,  # type: ignore[arg-type]
        **options,
    )
    for name in STRUCTURED_LOGGERS:
        ignore_logger(name)
    return True
