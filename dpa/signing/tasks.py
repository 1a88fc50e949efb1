from celery import shared_task

from dpa.signing.agreement import dpa_agreements_sweep, dpa_execution_agreement_render
from dpa.signing.register import dpa_register_render
from dpa.signing.selectors import lapsed_signatory_links
from dpa.signing.services import dpa_execution_expire
from portal.celery import RETRY_ON_TRANSIENT_ERRORS
from portal.evidence.prepared import prepared_file_render


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=30, max_retries=5)
def dpa_expire_signatory_links_task() -> int:
    """Beat: mark requests whose 14-day signatory link lapsed unsigned as expired (idempotent)."""

    return sum(dpa_execution_expire(execution=e) for e in lapsed_signatory_links()[:500])


@shared_task(ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def dpa_register_task(job_id: int) -> bool:
    """Issue one signed-DPA register (idempotent: an issued or claimed row is left alone)."""
    return prepared_file_render(job_id=job_id, render=dpa_register_render) is not None


@shared_task(ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def dpa_agreement_task(execution_id: int) -> bool:
    """Render one agreement for signature from its recorded annex and attach it if the execution still waits for
    it (idempotent: a rendered, superseded or closed request is left alone). A failed render is recorded on the
    row; `dpa_agreements_sweep_task` tries again after a back-off."""
    return dpa_execution_agreement_render(execution_id=execution_id)


@shared_task(ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def dpa_agreements_sweep_task() -> int:
    """Beat, every minute: re-send the agreement renders a lost task left, and failed ones due for a retry."""
    return dpa_agreements_sweep()
