from collections import Counter

from celery import shared_task
from django.conf import settings

from portal.celery import RETRY_ON_TRANSIENT_ERRORS
from portal.core.enqueue import chunks
from subprocessors.webhooks.services import webhook_deliver_batch, webhook_due_ids, webhook_followups


@shared_task(acks_late=True, ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def webhook_deliver_batch_task(delivery_ids: list[int]) -> dict[str, int]:
    """Attempt a batch of deliveries; retries due soon and deliveries held back by their endpoint's in-flight limit
    come back as batch tasks with a countdown (longer waits: the sweep finds the rows when due)."""
    results = webhook_deliver_batch(delivery_ids=delivery_ids)
    for countdown, ids in webhook_followups(results=results).items():
        for batch in chunks(ids, settings.WEBHOOK_BATCH_SIZE):
            webhook_deliver_batch_task.apply_async((batch,), countdown=countdown)
    return dict(Counter(results.values()))


@shared_task(acks_late=True, ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def webhook_deliver_task(delivery_id: int) -> str:
    """One delivery: the task enqueued before deliveries went in batches (messages of it may still be in a broker)."""
    counts = webhook_deliver_batch_task.run([delivery_id])
    return next(iter(counts))


@shared_task(ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def webhook_sweep() -> int:
    ids = webhook_due_ids()
    for batch in chunks(ids, settings.WEBHOOK_BATCH_SIZE):
        webhook_deliver_batch_task.delay(batch)
    return len(ids)
