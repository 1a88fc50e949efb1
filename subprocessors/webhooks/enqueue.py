"""Celery is reached from this app's services only through here (see portal.core.enqueue)."""

from collections.abc import Sequence

from portal.core.enqueue import enqueue_each_on_commit

WEBHOOK_DELIVER = "subprocessors.webhooks.tasks.webhook_deliver_task"


def webhook_deliveries_deliver(ids: Sequence[int]) -> None:
    enqueue_each_on_commit(WEBHOOK_DELIVER, ids, what="webhook deliveries")
