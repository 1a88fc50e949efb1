"""Beat tasks for trust-portal access. Each sweep finds due rows in the database and calls a service per row;
the services are idempotent (they re-check the row under a lock), so overlapping runs act once."""

from celery import shared_task
from django.conf import settings

from dpa.selectors.access import grants_to_expire, grants_to_warn, requests_to_escalate
from dpa.services.access import access_digest_send as _digest
from dpa.services.access import access_expire, access_expiry_warn, access_request_escalate


@shared_task(ignore_result=True)
def access_escalate_sweep() -> int:
    ids = list(requests_to_escalate().values_list("id", flat=True)[:500])
    return sum(access_request_escalate(access_request_id=pk) for pk in ids)


@shared_task(ignore_result=True)
def access_expiry_sweep() -> dict:
    expired = sum(
        access_expire(access_request_id=pk) for pk in list(grants_to_expire().values_list("id", flat=True)[:500])
    )
    days = settings.ACCESS_EXPIRY_WARNING_DAYS
    warned = sum(
        access_expiry_warn(access_request_id=pk)
        for pk in list(grants_to_warn(days=days).values_list("id", flat=True)[:500])
    )
    return {"expired": expired, "warned": warned}


@shared_task(ignore_result=True)
def access_digest_send() -> int:
    return _digest()
