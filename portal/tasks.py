from celery import shared_task

from portal.celery import RETRY_ON_TRANSIENT_ERRORS
from portal.services.audit_checkpoints import audit_checkpoint_write
from portal.services.outbox import outbox_deliver, outbox_due_ids, outbox_retry_countdown
from portal.signing import SigningFailed


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


@shared_task(ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def evidence_files_sweep() -> int:
    """Beat, daily: check every stored evidence file against its recorded SHA-256. Each missing or altered file is
    audited and alerts the legal lead (once per file per day, shared with the alerts of refused downloads).
    Returns the number of failing files."""
    from portal.services.audit import Actor
    from portal.services.evidence_files import evidence_files_verify

    _, failures = evidence_files_verify(alert=True, actor=Actor(label="system (daily evidence-file check)"))
    return len(failures)


@shared_task(
    ignore_result=True,
    **{**RETRY_ON_TRANSIENT_ERRORS, "autoretry_for": (*RETRY_ON_TRANSIENT_ERRORS["autoretry_for"], SigningFailed)},
)
def audit_checkpoint_task() -> str:
    """Daily (beat), whether or not the log grew: a checkpoint is what reveals deleted newest rows. A TSA that does
    not answer is retried like a database hiccup."""
    return audit_checkpoint_write(trigger="schedule").name
