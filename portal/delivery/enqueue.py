"""Enqueue email deliveries after the caller's commit (see portal.core.enqueue)."""

from collections.abc import Sequence

from portal.core.enqueue import enqueue_each_on_commit

DELIVER = "portal.delivery.tasks.outbox_deliver_task"


def emails_deliver(ids: Sequence[int]) -> None:
    enqueue_each_on_commit(DELIVER, ids, what="email(s)")
