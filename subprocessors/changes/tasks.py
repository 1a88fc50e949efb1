from celery import shared_task
from django.utils import timezone

from portal.celery import RETRY_ON_TRANSIENT_ERRORS
from portal.deadlines.calendar import local_date
from subprocessors.changes.fanout import change_fanout, changes_with_unfinished_fanout
from subprocessors.changes.notices import change_notice_deadlines_fill
from subprocessors.changes.selectors import changes_due
from subprocessors.changes.services import change_make_effective


@shared_task(acks_late=True, ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def change_fanout_task(change_id: int, notice: str) -> int:
    return change_fanout(change_id=change_id, notice=notice)


@shared_task(ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def change_fanout_sweep() -> int:
    pending = changes_with_unfinished_fanout()
    for change_id, notice in pending:
        change_fanout_task.delay(change_id, notice)
    return len(pending)


@shared_task(ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def changes_make_effective() -> int:
    """Beat: make due changes effective, or hold those whose notice is incomplete (idempotent)."""

    now = timezone.now()
    change_notice_deadlines_fill()
    return sum(change_make_effective(change=change, now=now) for change in changes_due(day=local_date(now)))
