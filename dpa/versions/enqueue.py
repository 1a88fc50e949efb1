"""Celery is reached from this app's services only through here (see portal.core.enqueue)."""

import logging

from portal.core.enqueue import task

logger = logging.getLogger(__name__)

RENDER_INFORMATIONAL = "dpa.versions.tasks.dpa_render_informational_task"


def informational_pdf_render(version_id: int) -> None:
    """Have a worker render a published version's informational PDF, so the first reader does not wait."""
    try:
        task(RENDER_INFORMATIONAL).delay(version_id)
    except Exception as exc:  # noqa: BLE001 - broker down: the first download renders the PDF instead
        logger.warning("Could not enqueue the DPA PDF render: %s", exc)
