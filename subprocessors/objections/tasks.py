from celery import shared_task

from portal.celery import RETRY_ON_TRANSIENT_ERRORS
from subprocessors.objections.services import objection_reminders_send


@shared_task(ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def objection_reminders() -> int:
    return objection_reminders_send()
