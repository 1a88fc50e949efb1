from celery import shared_task

from portal.celery import RETRY_ON_TRANSIENT_ERRORS
from portal.core.idempotency import idempotency_sweep


@shared_task(ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def idempotency_sweep_task() -> int:
    """Beat, hourly: forget API Idempotency-Keys older than IDEMPOTENCY_KEY_HOURS."""
    return idempotency_sweep()
