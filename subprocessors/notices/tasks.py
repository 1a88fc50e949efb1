from celery import shared_task
from django.contrib.auth import get_user_model

from portal.celery import RETRY_ON_TRANSIENT_ERRORS
from subprocessors.changes.models import SubprocessorChange
from subprocessors.notices.reports import notice_proof_issue


@shared_task(ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def notice_proof_issue_task(change_id: int, user_id: int) -> str:
    """Issue the proof-of-notice report of a change too large to render within a request."""

    change = SubprocessorChange.objects.select_related("subprocessor", "replaces").get(pk=change_id)
    report, _ = notice_proof_issue(change=change, actor=get_user_model().objects.get(pk=user_id))
    return report.sha256
