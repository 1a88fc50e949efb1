"""Celery is reached from this app's services only through here (see portal.core.enqueue)."""

import logging

from django.utils import timezone

from portal.core.enqueue import task
from portal.evidence.models import PreparedFile

logger = logging.getLogger(__name__)


def prepared_file_render(job: PreparedFile) -> bool:
    """Send the row's render task (named on the row: each app renders its own kinds). Call it after the commit
    that wrote the row. False when the broker cannot be reached: the row is safe, the sweep sends it later."""
    PreparedFile.objects.filter(pk=job.pk).update(enqueued_at=timezone.now())
    try:
        task(job.task_name).delay(job.pk)
    except Exception as exc:  # noqa: BLE001 - broker down: the row waits for prepared_files_sweep
        logger.warning("Could not enqueue %s for prepared file %s (%r); the sweep will", job.task_name, job.pk, exc)
        return False
    return True
