from celery import shared_task

from portal.audit.services import Actor
from portal.celery import RETRY_ON_TRANSIENT_ERRORS
from portal.evidence.checkpoints import audit_checkpoint_write
from portal.evidence.files import evidence_files_verify
from portal.evidence.prepared import prepared_files_purge
from portal.evidence.prepared import prepared_files_sweep as sweep_prepared_files
from portal.evidence.signing import SigningFailed


@shared_task(ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def evidence_files_sweep() -> int:
    """Beat, daily: check every stored evidence file against its recorded SHA-256. Each missing or altered file is
    audited and alerts the legal lead (once per file per day, shared with the alerts of refused downloads).
    Returns the number of failing files."""

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


@shared_task(ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def prepared_files_sweep() -> int:
    """Beat, every minute: re-send the renders a lost task left (pending, stuck, failed and due for a retry), and
    delete prepared files older than a month (never issued reports)."""
    prepared_files_purge()
    return sweep_prepared_files()
