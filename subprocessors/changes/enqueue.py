"""Celery is reached from this app's services only through here (STYLE rule 7)."""

import logging

from django.db import transaction

from portal.core.enqueue import task

logger = logging.getLogger(__name__)


FANOUT = "subprocessors.changes.tasks.change_fanout_task"
NOTICE_PROOF = "subprocessors.changes.tasks.notice_proof_issue_task"


def change_fanout(change_id: int, notice: str) -> None:
    """Fan a change notice out after the caller's commit. With the broker down the change's fan-out stays pending
    in the database and the beat sweep resumes it."""

    def send():
        try:
            task(FANOUT).delay(change_id, notice)
        except Exception as exc:  # noqa: BLE001 - broker down: the sweep resumes the fan-out from the database
            logger.warning("Could not enqueue fan-out of change %s (%r); the sweep resumes it", change_id, exc)

    transaction.on_commit(send)


def notice_proof_prepare(change_id: int, user_id: int) -> bool:
    """Have a worker issue the proof-of-notice report of a large change. Nothing is written before, so there is no
    commit to wait for; False when the broker cannot be reached (the person asking is told to try again)."""

    try:
        task(NOTICE_PROOF).delay(change_id, user_id)
    except Exception as exc:  # noqa: BLE001 - broker down: nothing was recorded, the request can be repeated
        logger.warning("Could not enqueue the proof-of-notice report of change %s (%r)", change_id, exc)
        return False
    return True
