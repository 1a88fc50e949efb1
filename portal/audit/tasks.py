from celery import shared_task

from portal.audit.checkpoints import audit_checkpoint_write
from portal.celery import RETRY_ON_TRANSIENT_ERRORS
from portal.evidence.signing import SigningFailed


@shared_task(
    ignore_result=True,
    **{**RETRY_ON_TRANSIENT_ERRORS, "autoretry_for": (*RETRY_ON_TRANSIENT_ERRORS["autoretry_for"], SigningFailed)},
)
def audit_checkpoint_task() -> str:
    """Daily (beat), whether or not the log grew: a checkpoint is what reveals deleted newest rows. A TSA that does
    not answer is retried like a database hiccup."""
    return audit_checkpoint_write(trigger="schedule").name
