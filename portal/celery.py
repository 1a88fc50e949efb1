import os

from celery import Celery
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

# Every task retries by itself, within seconds, when the database or the broker is briefly unreachable (a dropped
# connection, a failover, Redis restarting) instead of waiting minutes for a beat sweep. Tasks are idempotent, so a
# retry after a partial run only does what is missing. Backoff 1, 2, 4, … capped at 60 s, with jitter, 8 times.
RETRY_ON_TRANSIENT_ERRORS = {
    "autoretry_for": (OperationalError, InterfaceError, BrokerError),
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 8,
}


app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
