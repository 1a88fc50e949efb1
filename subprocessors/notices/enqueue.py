"""Celery is reached from this app's services only through here (see portal.core.enqueue)."""

import logging

from portal.core.enqueue import task

logger = logging.getLogger(__name__)


NOTICE_PROOF = "subprocessors.notices.tasks.notice_proof_issue_task"


def notice_proof_prepare(change_id: int, user_id: int) -> bool:
    """Have a worker issue the proof-of-notice report of a large change. Nothing is written before, so there is no
    commit to wait for; False when the broker cannot be reached (the person asking is told to try again)."""

    try:
        task(NOTICE_PROOF).delay(change_id, user_id)
    except Exception as exc:  # noqa: BLE001 - broker down: nothing was recorded, the request can be repeated
        logger.warning("Could not enqueue the proof-of-notice report of change %s (%r)", change_id, exc)
        return False
    return True
