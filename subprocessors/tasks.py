from celery import shared_task

from subprocessors.services.subscriptions import subscribers_purge_unconfirmed


@shared_task(acks_late=True, ignore_result=True)
def subscribers_purge_task() -> int:
    """Beat, hourly: delete subscriptions left unconfirmed for 7 days (idempotent; a missed run is caught up)."""
    return subscribers_purge_unconfirmed()
