from celery import shared_task

from portal.celery import RETRY_ON_TRANSIENT_ERRORS
from portal.evidence.prepared import prepared_file_render
from subprocessors.notices.reports import notice_proof_render


@shared_task(ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def notice_proof_issue_task(job_id: int) -> bool:
    """Issue one proof-of-notice report (idempotent: an issued or claimed row is left alone)."""
    return prepared_file_render(job_id=job_id, render=notice_proof_render) is not None
