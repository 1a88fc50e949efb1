from celery import shared_task

from portal.celery import RETRY_ON_TRANSIENT_ERRORS
from portal.deadlines.obligations import obligation_remind
from portal.deadlines.selectors import obligations_needing_reminders


@shared_task(acks_late=True, ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def obligation_reminders_sweep() -> int:
    """Beat, every minute: send every due reminder stage (24h, 12h, 4h, 1h before; overdue at the due time).

    Idempotent: a stage already recorded is never sent again, so ticks missed while the worker was down are
    caught up on the next run and duplicates from retries or overlapping runs send nothing.
    """
    sent = 0
    for obligation_id in list(obligations_needing_reminders().values_list("id", flat=True)):
        sent += len(obligation_remind(obligation_id=obligation_id))
    return sent
