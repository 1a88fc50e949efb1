"""Customer webhooks: registration (HTTPS, public addresses only), signed deliveries, retries with backoff."""

import datetime as dt
import json
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from portal.errors import ApplicationError
from portal.services.audit import audit_record
from subprocessors.models import SubprocessorChange, Webhook, WebhookDelivery
from subprocessors.webhook_security import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    URL_UNRESOLVABLE,
    webhook_resolve,
    webhook_secret_new,
    webhook_signature_headers,
    webhook_target,
)
from subprocessors.webhook_transport import DeliveryFailed, webhook_post

logger = logging.getLogger(__name__)

# Seconds before attempt n+1; after the last one the delivery is failed. Long waits are rows the sweep finds.
RETRY_BACKOFF_SECONDS = (30, 120, 600, 1800, 3600, 10800)
MAX_ATTEMPTS = len(RETRY_BACKOFF_SECONDS) + 1
STUCK_AFTER = dt.timedelta(minutes=5)
WEBHOOK_DUPLICATE = "This URL is already registered for your organisation."
WEBHOOK_LIMIT = "An organisation can register at most {n} webhooks."
MAX_WEBHOOKS_PER_ORG = 10
# What a delivery's attempt log says when the URL is refused at send time; the address stays in the server log.
REFUSED_ADDRESS = "refused: address not allowed"
REFUSED_UNRESOLVABLE = "host name does not resolve"
REFUSED_URL = "refused: URL not allowed"


@transaction.atomic
def webhook_register(*, organisation, url: str, description: str = "", actor, request=None) -> Webhook:
    url = url.strip()
    webhook_resolve(url)
    active = Webhook.objects.select_for_update().filter(organisation=organisation, active=True)
    if active.filter(url=url).exists():
        raise ApplicationError(WEBHOOK_DUPLICATE, field="url")
    if active.count() >= MAX_WEBHOOKS_PER_ORG:
        raise ApplicationError(WEBHOOK_LIMIT.format(n=MAX_WEBHOOKS_PER_ORG), field="url")
    webhook = Webhook(
        organisation=organisation,
        url=url,
        description=description.strip(),
        secret=webhook_secret_new(),
        created_by=actor,
    )
    webhook.full_clean()
    webhook.save()
    audit_record(
        action="webhook.registered",
        actor=actor,
        target=webhook,
        organisation=organisation,
        request=request,
        details={"url": url},
    )
    return webhook


@transaction.atomic
def webhook_deactivate(*, webhook: Webhook, actor, request=None) -> Webhook:
    webhook = Webhook.objects.select_for_update().get(pk=webhook.pk)
    if webhook.active:
        webhook.active = False
        webhook.save(update_fields=["active", "updated_at"])
        audit_record(
            action="webhook.removed",
            actor=actor,
            target=webhook,
            organisation=webhook.organisation_id,
            request=request,
            details={"url": webhook.url},
        )
    return webhook


@transaction.atomic
def webhook_delivery_retry(*, delivery: WebhookDelivery, actor, request=None) -> WebhookDelivery:
    """Staff send a failed delivery again once the customer's endpoint is fixed: a fresh round of attempts."""
    delivery = WebhookDelivery.objects.select_for_update().select_related("webhook").get(pk=delivery.pk)
    if delivery.status != WebhookDelivery.Status.FAILED:
        raise ApplicationError("Only failed deliveries can be retried.")
    if not delivery.webhook.active:
        raise ApplicationError("The webhook was removed by the customer; its deliveries cannot be retried.")
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = None
    delivery.save(update_fields=["status", "attempts", "next_attempt_at", "updated_at"])
    audit_record(
        action="webhook.delivery_retried",
        actor=actor,
        target=delivery,
        organisation=delivery.webhook.organisation_id,
        request=request,
        details={"url": delivery.webhook.url, "event": delivery.event},
    )
    _enqueue_on_commit([delivery.pk])
    return delivery


def change_payload(change: SubprocessorChange, event: str) -> dict:
    """The change as `GET /api/v1/subprocessor-changes/` shows it: the full notice (who the sub-processor is, where
    it processes, the dates and how to object) and its state (held, postponed)."""
    from subprocessors.api.changes import SubprocessorChangeSerializer

    return {"event": event, "change": SubprocessorChangeSerializer(change).data}


def webhook_deliveries_create(*, change: SubprocessorChange, event: str) -> int:
    """One delivery per active webhook for this event of the change's current postponement round (idempotent);
    sent after the caller's commit."""
    payload = change_payload(change, event)
    round_ = change.postponements
    rows = [
        WebhookDelivery(webhook_id=pk, event=event, change=change, payload=payload, notice_round=round_)
        for pk in Webhook.objects.filter(active=True).values_list("id", flat=True)
    ]
    WebhookDelivery.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    ids = list(
        WebhookDelivery.objects.filter(
            change=change, event=event, notice_round=round_, status=WebhookDelivery.Status.PENDING, attempts=0
        ).values_list("id", flat=True)
    )
    _enqueue_on_commit(ids)
    return len(rows)


def _enqueue_on_commit(ids: list[int], countdown: int | None = None) -> None:
    from subprocessors.tasks import webhook_deliver_task

    def send():
        for pk in ids:
            try:
                webhook_deliver_task.apply_async((pk,), countdown=countdown)
            except Exception as exc:  # noqa: BLE001 - broker down: the sweep retries due deliveries
                logger.warning("Could not enqueue webhook delivery %s (%s)", pk, exc)

    transaction.on_commit(send)


def delivery_body(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, sort_keys=True, separators=(",", ":")).encode()


def webhook_deliver(*, delivery_id: int, now: dt.datetime | None = None) -> str:
    """Attempt one delivery. Returns "succeeded", "retry", "failed" or "skipped"."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .select_related("webhook")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
            return "skipped"
        if delivery.next_attempt_at and delivery.next_attempt_at > now:
            return "skipped"
        delivery.status = WebhookDelivery.Status.SENDING
        delivery.locked_at = now
        delivery.attempts += 1
        delivery.save(update_fields=["status", "locked_at", "attempts", "updated_at"])
    webhook = delivery.webhook
    body = delivery_body(delivery)
    status_code, error = None, ""
    if not webhook.active:
        error = "Webhook was removed."
    else:
        try:
            # one resolution, every address checked, and the POST goes to a checked address (no rebinding)
            target = webhook_target(webhook.url)
            headers = {
                "Content-Type": "application/json",
                "User-Agent": f"{settings.PORTAL_NAME} webhooks",
                EVENT_HEADER: delivery.event,
                DELIVERY_HEADER: str(delivery.delivery_id),
                **webhook_signature_headers(webhook.secret, body, int(timezone.now().timestamp())),
            }
            status_code = webhook_post(
                target=target, body=body, headers=headers, timeout=settings.WEBHOOK_TIMEOUT_SECONDS
            )
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}"
        except ApplicationError as exc:
            error = _refusal(exc)
            logger.warning("Webhook delivery %s to %s refused: %s", delivery.pk, webhook.url, exc.message)
        except DeliveryFailed as exc:
            error = exc.reason
    return _record_attempt(delivery, status_code, error, give_up=not webhook.active)


def _refusal(exc: ApplicationError) -> str:
    if "address" in exc.extra:
        return REFUSED_ADDRESS
    if exc.message == URL_UNRESOLVABLE:
        return REFUSED_UNRESOLVABLE
    return REFUSED_URL


def _record_attempt(delivery: WebhookDelivery, status_code: int | None, error: str, give_up: bool) -> str:
    now = timezone.now()
    log = [*delivery.attempt_log, {"at": now.isoformat(), "status_code": status_code, "error": error}]
    fields = {"attempt_log": log, "last_status_code": status_code, "last_error": error, "locked_at": None}
    if not error:
        fields.update(status=WebhookDelivery.Status.SUCCEEDED, delivered_at=now, next_attempt_at=None)
        result = "succeeded"
    elif give_up or delivery.attempts >= MAX_ATTEMPTS:
        fields.update(status=WebhookDelivery.Status.FAILED, next_attempt_at=None)
        result = "failed"
    else:
        delay = RETRY_BACKOFF_SECONDS[delivery.attempts - 1]
        fields.update(status=WebhookDelivery.Status.PENDING, next_attempt_at=now + dt.timedelta(seconds=delay))
        result = "retry"
    WebhookDelivery.objects.filter(pk=delivery.pk, status=WebhookDelivery.Status.SENDING).update(
        updated_at=now, **fields
    )
    return result


def webhook_due_ids(*, limit: int = 500) -> list[int]:
    """Deliveries whose retry is due, or stuck in `sending` after a lost worker."""
    now = timezone.now()
    WebhookDelivery.objects.filter(status=WebhookDelivery.Status.SENDING, locked_at__lt=now - STUCK_AFTER).update(
        status=WebhookDelivery.Status.PENDING, locked_at=None, next_attempt_at=None, updated_at=now
    )
    return list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, updated_at__lt=now - dt.timedelta(seconds=30)
        )
        .exclude(next_attempt_at__gt=now)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
