from celery import shared_task

from portal.celery import RETRY_ON_TRANSIENT_ERRORS
from portal.evidence.prepared import prepared_file_render
from subprocessors.listing.exports import snapshot_pdf_render
from subprocessors.listing.subscriptions import subscribers_purge_unconfirmed


@shared_task(acks_late=True, ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def subscribers_purge_task() -> int:
    """Beat, hourly: delete subscriptions left unconfirmed for 7 days (idempotent; a missed run is caught up)."""
    return subscribers_purge_unconfirmed()


@shared_task(ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def snapshot_pdf_task(job_id: int) -> bool:
    """Render one snapshot PDF row (idempotent: a ready row, or one another worker renders, is left alone)."""
    return prepared_file_render(job_id=job_id, render=snapshot_pdf_render) is not None
