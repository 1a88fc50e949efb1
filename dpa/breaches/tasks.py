from celery import shared_task

from dpa.breaches.report import breach_report_issue
from portal.celery import RETRY_ON_TRANSIENT_ERRORS
from portal.evidence.prepared import prepared_file_render


@shared_task(ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def breach_report_task(job_id: int) -> bool:
    """Issue one breach evidence report (idempotent: an issued or claimed row is left alone)."""
    return prepared_file_render(job_id=job_id, render=breach_report_issue) is not None
