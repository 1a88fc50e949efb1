from celery import shared_task

from dpa.versions.models import DpaVersion
from dpa.versions.pdf import informational_pdf


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(Exception,), retry_backoff=30, max_retries=3)
def dpa_render_informational_task(version_id: int) -> bool:
    """After publishing: render the informational PDF once, so the first reader does not wait for WeasyPrint.
    Idempotent (the cache is keyed by content); if this task is lost, the first download renders it."""

    version = DpaVersion.objects.filter(pk=version_id).exclude(status=DpaVersion.Status.DRAFT).first()
    if version is None:
        return False
    return not informational_pdf(version).cached
