"""Celery is reached from this app's services only through here (STYLE rule 7)."""

from collections.abc import Sequence

from portal.enqueue import enqueue_each_on_commit


def webhook_deliveries_deliver(ids: Sequence[int]) -> None:
    from subprocessors.tasks import webhook_deliver_task

    enqueue_each_on_commit(webhook_deliver_task, ids, what="webhook deliveries")
