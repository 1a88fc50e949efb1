"""Celery is reached from services only through here and the apps' `enqueue` modules (STYLE rule 7): after the
caller's commit, and without failing the caller when the broker is down — the rows are in the database and the beat
sweeps send them later."""

import logging
from collections.abc import Sequence

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def task(name: str):
    """The Celery task registered as `name`. Services enqueue through their app's `enqueue` module, which names the
    task instead of importing it, so no service imports a tasks module (the tasks modules import the services).
    Every app's tasks module is imported at start-up (CoreConfig.ready), so the name is always registered."""
    return current_app.tasks[name]


def chunks(ids: Sequence[int], size: int) -> list[list[int]]:
    """`ids` in lists of at most `size` (at least 1), in order."""
    ids, size = list(ids), max(1, size)
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def enqueue_batches_on_commit(task_name: str, ids: Sequence[int], *, size: int, what: str) -> None:
    """After the commit, enqueue the task `task_name` once per list of at most `size` ids (one broker message per
    batch, not per row); stop at the first broker error (one is enough to know the broker is down, and a request must
    not wait for each batch)."""
    batches = chunks(ids, size)
    if not batches:
        return

    def send():
        for n, batch in enumerate(batches):
            try:
                task(task_name).delay(batch)
            except Exception as exc:  # noqa: BLE001 - broker down: the rows are safe, the sweep sends them later
                left = sum(len(b) for b in batches[n:])
                logger.warning("Could not enqueue %s %s (%s); the sweep will send them", left, what, exc)
                return

    transaction.on_commit(send)
