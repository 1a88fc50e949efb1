from celery import shared_task
from django.conf import settings

from portal.celery import RETRY_ON_TRANSIENT_ERRORS
from portal.trust.selectors import grants_to_expire, grants_to_warn, requests_to_escalate
from portal.trust.services import access_digest_send as _digest
from portal.trust.services import access_expire, access_expiry_warn, access_request_escalate


@shared_task(ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def access_escalate_sweep() -> int:
    ids = list(requests_to_escalate().values_list("id", flat=True)[:500])
    return sum(access_request_escalate(access_request_id=pk) for pk in ids)


@shared_task(ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
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


@shared_task(ignore_result=True, **RETRY_ON_TRANSIENT_ERRORS)
def access_digest_send() -> int:
    return _digest()
