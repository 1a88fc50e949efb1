from celery import shared_task


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(Exception,), retry_backoff=30, max_retries=3)
def dpa_render_informational_task(version_id: int) -> bool:
    """After publishing: render the informational PDF once, so the first reader does not wait for WeasyPrint.
    Idempotent (the cache is keyed by content); if this task is lost, the first download renders it."""
    from dpa.signing.pdf import informational_pdf
    from dpa.versions.models import DpaVersion

    version = DpaVersion.objects.filter(pk=version_id).exclude(status=DpaVersion.Status.DRAFT).first()
    if version is None:
        return False
    return not informational_pdf(version).cached
