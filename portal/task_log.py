"""One log line per Celery task run, and Celery's own logging left to Django's `LOGGING`.

django-structlog's Celery receiver with the portal's rules: every run ends in one `task_finished` line with `task`
(the name), `task_id`, `state` (SUCCESS, FAILURE with the traceback, RETRY) and `duration_ms`; every line logged
inside the task carries `task` and `task_id`, and the `request_id` (and user) of the request that enqueued it.
The receivers are connected in every process (portal/celery.py): task signals fire only where tasks run, in the
worker or in-process when tasks are eager (development, tests), where the request's own context is restored after.
"""

import logging
import logging.config
import time

import structlog
from celery.signals import (
    after_task_publish,
    before_task_publish,
    setup_logging,
    task_failure,
    task_postrun,
    task_prerun,
    task_rejected,
    task_retry,
    task_revoked,
    task_success,
    task_unknown,
)
from django.conf import settings
from django_structlog.celery.receivers import CeleryReceiver

logger = structlog.get_logger(__name__)


def _duration(task) -> dict:
    started = getattr(getattr(task, "request", None), "_portal_log_started", None)
    return {} if started is None else {"duration_ms": round((time.monotonic() - started) * 1000)}


class TaskLogReceiver(CeleryReceiver):
    def receiver_task_prerun(self, task_id, task, *args, **kwargs) -> None:
        request = task.request
        context = {**getattr(request, "__django_structlog__", {}), "task_id": task_id, "task": task.name}
        if request.is_eager:
            # in-process inside a request or another task: keep their context, give it back after the run
            request._portal_log_tokens = structlog.contextvars.bind_contextvars(**context)
        else:
            structlog.contextvars.clear_contextvars()
            structlog.contextvars.bind_contextvars(**context)
        request._portal_log_started = time.monotonic()
        logger.debug("task_started")

    def receiver_task_postrun(self, task_id=None, task=None, **kwargs) -> None:
        tokens = getattr(getattr(task, "request", None), "_portal_log_tokens", None)
        if tokens is not None:
            structlog.contextvars.reset_contextvars(**tokens)
            task.request._portal_log_tokens = None
        elif task is not None and not task.request.is_eager:
            structlog.contextvars.clear_contextvars()

    def receiver_task_success(self, result=None, sender=None, **kwargs) -> None:
        logger.info("task_finished", state="SUCCESS", **_duration(sender))

    def receiver_task_retry(self, request=None, reason=None, einfo=None, sender=None, **kwargs) -> None:
        logger.warning("task_finished", state="RETRY", reason=str(reason), **_duration(sender))

    def receiver_task_failure(  # type: ignore[override]  # Celery passes these by keyword
        self, task_id=None, exception=None, sender=None, **kwargs
    ) -> None:
        if isinstance(exception, getattr(sender, "throws", ())):  # an expected failure: no traceback
            logger.warning("task_finished", state="FAILURE", error=str(exception), **_duration(sender))
        else:
            logger.error("task_finished", state="FAILURE", exc_info=exception, **_duration(sender))

    def receiver_after_task_publish(self, *args, **kwargs) -> None:
        """django-structlog's `task_enqueued` line is left out: the request line and the task line are enough."""

    def connect(self) -> None:
        before_task_publish.connect(self.receiver_before_task_publish)
        after_task_publish.connect(self.receiver_after_task_publish)
        task_prerun.connect(self.receiver_task_prerun)
        task_postrun.connect(self.receiver_task_postrun)
        task_retry.connect(self.receiver_task_retry)
        task_success.connect(self.receiver_task_success)
        task_failure.connect(self.receiver_task_failure)
        task_revoked.connect(self.receiver_task_revoked)
        task_unknown.connect(self.receiver_task_unknown)
        task_rejected.connect(self.receiver_task_rejected)


_receiver = TaskLogReceiver()  # Celery holds receivers weakly


def keep_django_logging(loglevel=None, **kwargs) -> None:
    """Celery's worker and beat would replace the root logger's handlers with plain-text ones; a receiver of
    `setup_logging` stops that. Django's `LOGGING` stays, at the level given with `celery -l`."""

    logging.config.dictConfig(settings.LOGGING)
    if loglevel:
        logging.getLogger().setLevel(loglevel)


def connect_task_logging() -> None:
    _receiver.connect()
    setup_logging.connect(keep_django_logging, weak=False)
