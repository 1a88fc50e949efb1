from celery import shared_task

from portal.celery import RETRY_ON_TRANSIENT_ERRORS
from subprocessors.webhooks.services import webhook_deliver, webhook_due_ids, webhook_retry_countdown


@shared_task(acks_late=True, ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def webhook_deliver_task(delivery_id: int) -> str:
    result = webhook_deliver(delivery_id=delivery_id)
    if result == "retry":
        countdown = webhook_retry_countdown(delivery_id=delivery_id)
        if countdown is not None:  # longer waits: the sweep finds the row when it is due
            webhook_deliver_task.apply_async((delivery_id,), countdown=countdown)
    return result


@shared_task(ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def webhook_sweep() -> int:
    ids = webhook_due_ids()
    for pk in ids:
        webhook_deliver_task.delay(pk)
    return len(ids)
