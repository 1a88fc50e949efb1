from celery import shared_task

from portal.celery import RETRY_ON_TRANSIENT_ERRORS


@shared_task(ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def evidence_files_sweep() -> int:
    """Beat, daily: check every stored evidence file against its recorded SHA-256. Each missing or altered file is
    audited and alerts the legal lead (once per file per day, shared with the alerts of refused downloads).
    Returns the number of failing files."""
    from portal.audit.services import Actor
    from portal.evidence.files import evidence_files_verify

    _, failures = evidence_files_verify(alert=True, actor=Actor(label="system (daily evidence-file check)"))
    return len(failures)
