from celery import shared_task

from dpa.signing.selectors import lapsed_signatory_links
from dpa.signing.services import dpa_execution_expire


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=30, max_retries=5)
def dpa_expire_signatory_links_task() -> int:
    """Beat: mark requests whose 14-day signatory link lapsed unsigned as expired (idempotent)."""

    return sum(dpa_execution_expire(execution=e) for e in lapsed_signatory_links()[:500])
