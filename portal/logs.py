"""Log output: one JSON object a line in production, readable lines in development.

structlog's loggers (the request and task lines) and the standard library's (`logging.getLogger(__name__)` across
the code, Django, Celery) go through the same formatter, so every line has the same shape: `timestamp`, `level`,
`logger`, `event`, the request's or task's ids (bound in context variables), and `exception` with the traceback.
settings.py builds `LOGGING` with `logging_config()` and calls `configure_structlog()`.
"""

import logging
import sys
from typing import Any

import structlog
from django.core.exceptions import ImproperlyConfigured

from portal.observability import scrub_value

LOG_FORMATS = ("json", "console")

# Added to every line, whether it comes from structlog or from a standard-library logger.
_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def drop_streaming_lines(logger, method_name, event_dict):
    """A file download already has its request line; django-structlog's `streaming_started` and
    `streaming_finished` would make it three (every static file too). `streaming_failed` is kept."""
    if event_dict.get("event") in ("streaming_started", "streaming_finished"):
        raise structlog.DropEvent
    return event_dict


def redact_emails(logger, method_name, event_dict):
    """Email addresses never reach the log (an SMTP error names its recipient, a 404 may carry one in its path);
    log lines carry the row's id instead, which leads to the address for whoever may see it."""
    return {
        key: value if key.startswith("_") or key == "exc_info" else scrub_value(value)
        for key, value in event_dict.items()
    }


def _leading_keys(logger, method_name, event_dict):
    """When, how bad and what first: a line read by a person (`docker compose logs`) starts with them."""
    return {key: event_dict[key] for key in ("timestamp", "level", "event") if key in event_dict} | event_dict


def _renderers(log_format: str) -> list:
    if log_format == "json":
        return [
            structlog.processors.format_exc_info,
            redact_emails,
            _leading_keys,
            structlog.processors.JSONRenderer(),
        ]
    # plain tracebacks: rich (when installed) would print every local variable of every frame
    return [
        redact_emails,
        structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback),
    ]


def default_format(*, debug: bool) -> str:
    return "console" if debug else "json"


def _checked(log_format: str, level: str) -> str:
    if log_format not in LOG_FORMATS:
        raise ImproperlyConfigured(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)} (it is {log_format!r}).")
    level = level.upper()
    if not isinstance(logging.getLevelName(level), int):
        raise ImproperlyConfigured(f"LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL (it is {level!r}).")
    return level


def _formatter(log_format: str) -> dict:
    return {
        "()": structlog.stdlib.ProcessorFormatter,
        "foreign_pre_chain": _SHARED,
        "processors": [structlog.stdlib.ProcessorFormatter.remove_processors_meta, *_renderers(log_format)],
    }


def logging_config(*, log_format: str, level: str) -> dict:
    """`LOGGING` for settings.py: everything to stderr through one structlog formatter."""
    level = _checked(log_format, level)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": _formatter(log_format)},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's own handlers (console with DEBUG, mail_admins) would print its records a second time.
            "django": {"handlers": [], "propagate": True},
            # The request line (portal.request_log) says what this logger says about each 4xx and 5xx response,
            # with the request's ids and without the secret in a link's path.
            "django.request": {"level": "CRITICAL"},
            "django.db.backends": {"level": "WARNING"},
            # Celery's "received" and "succeeded in" lines repeat the task line (portal.task_log); failures stay.
            "celery.app.trace": {"level": "WARNING"},
            "celery.worker.strategy": {"level": "WARNING"},
            # WeasyPrint logs every layout step at INFO (DPA PDFs).
            "weasyprint": {"level": "WARNING"},
            "fontTools": {"level": "WARNING"},
        },
    }


def gunicorn_logconfig(*, log_format: str, level: str) -> dict:
    """gunicorn's `logconfig_dict` (docker/gunicorn.conf.py): its own lines (workers booting, timeouts) on stderr
    in the same format; no access log, since the portal writes a line for every request itself."""
    level = _checked(log_format, level)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": _formatter(log_format)},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "structured", "stream": "ext://sys.stderr"}
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "gunicorn.error": {"handlers": ["stderr"], "level": level, "propagate": False},
            "gunicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        },
    }


def configure_structlog() -> None:
    """structlog hands its events to the standard library, whose handler (above) renders them."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            drop_streaming_lines,
            *_SHARED,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.UnicodeDecoder(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
