"""Celery is reached from this app's services only through here (see portal.core.enqueue)."""

import logging

from django.utils import timezone

from dpa.signing.models import DpaExecution
from portal.core.enqueue import task

logger = logging.getLogger(__name__)

AGREEMENT_RENDER = "dpa.signing.tasks.dpa_agreement_task"


def agreement_render(execution_id: int) -> bool:
    """Have a worker render the agreement for signature of this execution from its recorded annex. Call it after
    the commit that recorded the annex. False when the broker cannot be reached: the execution keeps waiting and
    `dpa_agreements_sweep` sends it again."""
    DpaExecution.objects.filter(pk=execution_id, status=DpaExecution.Status.AWAITING_SIGNATORY).update(
        agreement_enqueued_at=timezone.now()
    )
    try:
        task(AGREEMENT_RENDER).delay(execution_id)
    except Exception as exc:  # noqa: BLE001 - broker down: the execution waits for the sweep
        logger.warning(
            "Could not enqueue the DPA agreement render for execution %s (%r); the sweep will", execution_id, exc
        )
        return False
    return True
