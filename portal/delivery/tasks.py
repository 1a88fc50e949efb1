from collections import Counter

from celery import shared_task
from django.conf import settings

from portal.celery import RETRY_ON_TRANSIENT_ERRORS
from portal.core.enqueue import chunks
from portal.delivery.chat import chat_deliver_batch, chat_due_ids, chat_followups
from portal.delivery.enqueue import CHAT_BATCH_SIZE
from portal.delivery.outbox import outbox_deliver_batch, outbox_due_ids, outbox_followups


@shared_task(acks_late=True, ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def outbox_deliver_batch_task(email_ids: list[int]) -> dict[str, int]:
    """Deliver a batch over one SMTP connection; retries due within minutes come back as batch tasks with a
    countdown (if one is lost, the sweeper finds its rows by next_attempt_at). Returns the count per outcome."""
    results = outbox_deliver_batch(email_ids=email_ids)
    for countdown, ids in outbox_followups(results=results).items():
        for batch in chunks(ids, settings.OUTBOX_BATCH_SIZE):
            outbox_deliver_batch_task.apply_async((batch,), countdown=countdown)
    return dict(Counter(results.values()))


@shared_task(acks_late=True, ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def outbox_deliver_task(email_id: int) -> str:
    """One email: the task enqueued before delivery went in batches (messages of it may still be in a broker)."""
    counts = outbox_deliver_batch_task.run([email_id])
    return next(iter(counts))


@shared_task(ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def outbox_sweep() -> int:
    ids = outbox_due_ids()
    for batch in chunks(ids, settings.OUTBOX_BATCH_SIZE):
        outbox_deliver_batch_task.delay(batch)
    return len(ids)


@shared_task(acks_late=True, ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def chat_deliver_batch_task(alert_ids: list[int]) -> dict[str, int]:
    """Post a batch of staff chat alerts; retries due within minutes come back with a countdown (later ones are
    found by the sweep). Returns the count per outcome."""
    results = chat_deliver_batch(alert_ids=alert_ids)
    for countdown, ids in chat_followups(results=results).items():
        for batch in chunks(ids, CHAT_BATCH_SIZE):
            chat_deliver_batch_task.apply_async((batch,), countdown=countdown)
    return dict(Counter(results.values()))


@shared_task(ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def chat_sweep() -> int:
    ids = chat_due_ids()
    for batch in chunks(ids, CHAT_BATCH_SIZE):
        chat_deliver_batch_task.delay(batch)
    return len(ids)
