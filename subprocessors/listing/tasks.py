from celery import shared_task

from portal.celery import RETRY_ON_TRANSIENT_ERRORS
from subprocessors.listing.subscriptions import subscribers_purge_unconfirmed


@shared_task(acks_late=True, ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def subscribers_purge_task() -> int:
    """Beat, hourly: delete subscriptions left unconfirmed for 7 days (idempotent; a missed run is caught up)."""
    return subscribers_purge_unconfirmed()
