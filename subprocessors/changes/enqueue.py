"""Celery is reached from this app's services only through here (STYLE rule 7)."""

import logging

from django.db import transaction

from portal.core.enqueue import task

logger = logging.getLogger(__name__)


FANOUT = "subprocessors.changes.tasks.change_fanout_task"


def change_fanout(change_id: int, notice: str) -> None:
    """Fan a change notice out after the caller's commit. With the broker down the change's fan-out stays pending
    in the database and the beat sweep resumes it."""

    def send():
        try:
            task(FANOUT).delay(change_id, notice)
        except Exception as exc:  # noqa: BLE001 - broker down: the sweep resumes the fan-out from the database
            logger.warning("Could not enqueue fan-out of change %s (%r); the sweep resumes it", change_id, exc)

    transaction.on_commit(send)
