"""Celery is reached from services only through here (STYLE rule 7): after the caller's commit, and without
failing the caller when the broker is down — the rows are in the database and the beat sweeps send them later."""

import logging
from collections.abc import Sequence

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_each_on_commit(task, ids: Sequence[int], *, what: str) -> None:
    """After the commit, enqueue `task(pk)` for each id; stop at the first broker error (one is enough to know
    the broker is down, and a request must not wait for each row)."""
    ids = list(ids)
    if not ids:
        return

    def send():
        for n, pk in enumerate(ids):
            try:
                task.delay(pk)
            except Exception as exc:  # noqa: BLE001 - broker down: the rows are safe, the sweep sends them later
                logger.warning("Could not enqueue %s %s (%s); the sweep will send them", len(ids) - n, what, exc)
                return

    transaction.on_commit(send)


def emails_deliver(ids: Sequence[int]) -> None:
    from portal.delivery.tasks import outbox_deliver_task

    enqueue_each_on_commit(outbox_deliver_task, ids, what="email(s)")
