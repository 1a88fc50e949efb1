from celery import shared_task

from portal.celery import RETRY_ON_TRANSIENT_ERRORS
from portal.delivery.outbox import outbox_deliver, outbox_due_ids, outbox_retry_countdown


@shared_task(acks_late=True, ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def outbox_deliver_task(email_id: int) -> str:
    result = outbox_deliver(email_id=email_id)
    if result == "retry":
        # Countdowns stay under five minutes; if this retry is lost, the sweeper finds the row by next_attempt_at.
        countdown = outbox_retry_countdown(email_id=email_id)
        if countdown is not None:
            outbox_deliver_task.apply_async((email_id,), countdown=countdown)
    return result


@shared_task(ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def outbox_sweep() -> int:
    ids = outbox_due_ids()
    for pk in ids:
        outbox_deliver_task.delay(pk)
    return len(ids)
