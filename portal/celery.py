import functools
import os
from typing import Any

from celery import Celery
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError

from portal.task_log import connect_task_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

# Every task retries by itself, within seconds, when the database or the broker is briefly unreachable (a dropped
# connection, a failover, Redis restarting) instead of waiting minutes for a beat sweep. Tasks are idempotent, so a
# retry after a partial run only does what is missing. Backoff 1, 2, 4, … capped at 60 s, with jitter, 8 times.
RETRY_ON_TRANSIENT_ERRORS: dict[str, Any] = {
    "autoretry_for": (OperationalError, InterfaceError, BrokerError),
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 8,
}


def guard_redis_channel_close() -> None:
    """Let a worker whose Redis went away reconnect instead of stopping with "Unrecoverable error".

    After a connection loss Celery's consumer closes the old connection twice: `collect()`, then `close()`. The
    first pass fails on the worker's broadcast (auto-delete fanout) queue, whose deletion needs the dead Redis,
    and leaves the channel open but detached from its connection. The second pass restores the messages of tasks
    still running (acks_late) and needs a Redis client for that, which kombu builds from the detached connection:
    `AttributeError: 'NoneType' object has no attribute 'hostname'`. That is not a connection error, so Celery
    treats it as fatal and the worker exits with status 1. It happens whenever a task is running at the moment
    Redis goes away (kombu 5.7, redis-py 8; `tests/core/test_broker_reconnect.py` reproduces it).

    Raising a connection error instead lets kombu and Celery treat it like the failure it is: the close goes on,
    the worker reconnects once Redis is back, and the unacknowledged messages stay where a restarted Redis keeps
    them (redelivered after the visibility timeout; the database rows are swept anyway).
    """
    try:
        from kombu.transport import redis as kombu_redis  # noqa: PLC0415 - optional: only with a Redis broker
        from redis.exceptions import ConnectionError as RedisConnectionError  # noqa: PLC0415 - same
    except ImportError:  # no Redis transport installed
        return
    original = kombu_redis.Channel._connparams
    if getattr(original, "portal_guard", False):
        return

    @functools.wraps(original)
    def _connparams(self, *args, **kwargs):
        if self.connection is None or self.connection.client is None:
            raise RedisConnectionError("the broker connection was closed")
        return original(self, *args, **kwargs)

    # A marker on the wrapper, so that the patch is applied once; then the patch itself (the point of this function).
    _connparams.portal_guard = True  # type: ignore[attr-defined]
    kombu_redis.Channel._connparams = _connparams  # type: ignore[method-assign]


guard_redis_channel_close()

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# One JSON line per task run; the worker and beat keep Django's LOGGING instead of Celery's plain-text setup.
connect_task_logging()
