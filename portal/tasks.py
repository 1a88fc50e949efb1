from celery import shared_task
from django.utils import timezone

from portal.models import OutboundEmail
from portal.services.outbox import outbox_deliver, outbox_due_ids


@shared_task(acks_late=True, ignore_result=True)
def outbox_deliver_task(email_id: int) -> str:
    result = outbox_deliver(email_id=email_id)
    if result == "retry":
        # Countdowns stay under five minutes; if this retry is lost, the sweeper finds the row by next_attempt_at.
        due = OutboundEmail.objects.filter(pk=email_id).values_list("next_attempt_at", flat=True).first()
        countdown = max(1, int((due - timezone.now()).total_seconds()) + 1) if due else 1
        outbox_deliver_task.apply_async((email_id,), countdown=min(countdown, 300))
    return result


@shared_task(ignore_result=True)
def outbox_sweep() -> int:
    ids = outbox_due_ids()
    for pk in ids:
        outbox_deliver_task.delay(pk)
    return len(ids)
