from celery import shared_task

from dpa.versions.models import DpaVersion
from dpa.versions.pdf import informational_pdf, version_pdf_render
from portal.celery import RETRY_ON_TRANSIENT_ERRORS
from portal.evidence.prepared import prepared_file_render


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(Exception,), retry_backoff=30, max_retries=3)
def dpa_render_informational_task(version_id: int) -> bool:
    """After publishing: render the informational PDF once, so the first reader does not wait for WeasyPrint.
    Idempotent (the cache is keyed by content); if this task is lost, the first download renders it."""

    version = DpaVersion.objects.filter(pk=version_id).exclude(status=DpaVersion.Status.DRAFT).first()
    if version is None:
        return False
    return not informational_pdf(version).cached


@shared_task(ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def version_pdf_task(job_id: int) -> bool:
    """Render one DPA version PDF a reader or legal staff asked for (idempotent: a ready or claimed row is left
    alone; the storage is keyed by content, so a file already there is not rendered again)."""
    return prepared_file_render(job_id=job_id, render=version_pdf_render) is not None
