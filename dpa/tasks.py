import logging

from celery import shared_task
from django.conf import settings

from dpa.selectors.access import grants_to_expire, grants_to_warn, requests_to_escalate
from dpa.selectors.obligations import obligations_needing_reminders
from dpa.services.access import access_digest_send as _digest
from dpa.services.access import access_expire, access_expiry_warn, access_request_escalate
from dpa.services.obligations import obligation_remind
from portal.celery import RETRY_ON_TRANSIENT_ERRORS

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def obligation_reminders_sweep() -> int:
    """Beat, every minute: send every due reminder stage (24h, 12h, 4h, 1h before; overdue at the due time).

    Idempotent: a stage already recorded is never sent again, so ticks missed while the worker was down are
    caught up on the next run and duplicates from retries or overlapping runs send nothing.
    """
    sent = 0
    for obligation_id in list(obligations_needing_reminders().values_list("id", flat=True)):
        sent += len(obligation_remind(obligation_id=obligation_id))
    return sent


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=30, max_retries=5)
def dpa_expire_signatory_links_task() -> int:
    """Beat: mark requests whose 14-day signatory link lapsed unsigned as expired (idempotent)."""
    from dpa.selectors.signing import lapsed_signatory_links
    from dpa.services.signing import dpa_execution_expire

    return sum(dpa_execution_expire(execution=e) for e in lapsed_signatory_links()[:500])


# --- Trust-portal access: each sweep finds due rows and calls an idempotent service per row. ---


@shared_task(ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def access_escalate_sweep() -> int:
    ids = list(requests_to_escalate().values_list("id", flat=True)[:500])
    return sum(access_request_escalate(access_request_id=pk) for pk in ids)


@shared_task(ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def access_expiry_sweep() -> dict:
    expired = sum(
        access_expire(access_request_id=pk) for pk in list(grants_to_expire().values_list("id", flat=True)[:500])
    )
    days = settings.ACCESS_EXPIRY_WARNING_DAYS
    warned = sum(
        access_expiry_warn(access_request_id=pk)
        for pk in list(grants_to_warn(days=days).values_list("id", flat=True)[:500])
    )
    return {"expired": expired, "warned": warned}


@shared_task(ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def access_digest_send() -> int:
    return _digest()


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(Exception,), retry_backoff=30, max_retries=3)
def dpa_render_informational_task(version_id: int) -> bool:
    """After publishing: render the informational PDF once, so the first reader does not wait for WeasyPrint.
    Idempotent (the cache is keyed by content); if this task is lost, the first download renders it."""
    from dpa.models import DpaVersion
    from dpa.services.pdf import informational_pdf

    version = DpaVersion.objects.filter(pk=version_id).exclude(status=DpaVersion.Status.DRAFT).first()
    if version is None:
        return False
    return not informational_pdf(version).cached
