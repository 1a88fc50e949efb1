"""Celery is reached from this app's services only through here (see portal.core.enqueue)."""

from collections.abc import Sequence

from django.conf import settings

from portal.core.enqueue import enqueue_batches_on_commit

WEBHOOK_DELIVER = "subprocessors.webhooks.tasks.webhook_deliver_batch_task"


def webhook_deliveries_deliver(ids: Sequence[int]) -> None:
    """One delivery task per WEBHOOK_BATCH_SIZE deliveries."""
    enqueue_batches_on_commit(WEBHOOK_DELIVER, ids, size=settings.WEBHOOK_BATCH_SIZE, what="webhook deliveries")
