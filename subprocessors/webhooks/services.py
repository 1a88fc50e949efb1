"""Customer webhooks: registration (HTTPS, public addresses only), signed deliveries, retries with backoff.

Deliveries go through the delivery engine (`portal.delivery.services`), the same batch claim / back-off / sweep
loop as emails, with `_send` as the step that signs and POSTs one delivery; when a delivery about a change is
delivered or finally fails, handlers registered with `on_webhook_delivered` / `on_webhook_failed` hear of it.

Per endpoint (webhook), at most WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT deliveries are claimed at a time across all
workers (`_admit`), so one slow endpoint cannot occupy every worker: its further deliveries stay pending, are not
counted as attempts, and are offered again a few seconds later (and by the sweep).
"""

import datetime as dt
import json
import logging
from collections import Counter
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from portal.core.errors import ApplicationError
from portal.delivery import services as engine
from portal.delivery.chat import chat_alert_queue, chat_text, chat_time
from portal.delivery.models import ChatAlert
from portal.delivery.webhook_security import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    URL_UNRESOLVABLE,
    webhook_resolve,
    webhook_secret_new,
    webhook_signature_headers,
    webhook_target,
)
from portal.delivery.webhook_transport import DeliveryFailed, webhook_post
from subprocessors.changes.models import SubprocessorChange
from subprocessors.changes.payloads import change_payload
from subprocessors.webhooks import enqueue, events
from subprocessors.webhooks.models import Webhook, WebhookDelivery

logger = logging.getLogger(__name__)

# Seconds before attempt n+1; after the last one the delivery is failed. Long waits are rows the sweep finds.
RETRY_BACKOFF_SECONDS = (30, 120, 600, 1800, 3600, 10800)
MAX_ATTEMPTS = len(RETRY_BACKOFF_SECONDS) + 1
STUCK_AFTER = dt.timedelta(minutes=5)
WEBHOOK_DUPLICATE = "This URL is already registered for your organisation."
WEBHOOK_LIMIT = "An organisation can register at most {n} webhooks."
MAX_WEBHOOKS_PER_ORG = 10
DELIVERY_RETRY_NOT_FAILED = "Only failed deliveries can be retried."
DELIVERY_RETRY_WEBHOOK_REMOVED = "The webhook was removed by the customer; its deliveries cannot be retried."
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
    events.webhook_registered(webhook=webhook, actor=actor, request=request)
    return webhook


@transaction.atomic
def webhook_deactivate(*, webhook: Webhook, actor, request=None) -> Webhook:
    webhook = Webhook.objects.select_for_update().get(pk=webhook.pk)
    if webhook.active:
        webhook.active = False
        webhook.save(update_fields=["active", "updated_at"])
        events.webhook_removed(webhook=webhook, actor=actor, request=request)
    return webhook


@transaction.atomic
def webhook_delivery_retry(*, delivery: WebhookDelivery, actor, request=None) -> WebhookDelivery:
    """Staff send a failed delivery again once the customer's endpoint is fixed: a fresh round of attempts."""
    delivery = WebhookDelivery.objects.select_for_update().select_related("webhook").get(pk=delivery.pk)
    if delivery.status != WebhookDelivery.Status.FAILED:
        raise ApplicationError(DELIVERY_RETRY_NOT_FAILED)
    if not delivery.webhook.active:
        raise ApplicationError(DELIVERY_RETRY_WEBHOOK_REMOVED)
    engine.delivery_restart(WEBHOOK, row=delivery)
    events.webhook_delivery_retried(delivery=delivery, actor=actor, request=request)
    enqueue.webhook_deliveries_deliver([delivery.pk])
    return delivery


def webhook_deliveries_create(*, change: SubprocessorChange, event: str) -> int:
    """One delivery per active webhook for this event of the change's current postponement round (idempotent);
    sent after the caller's commit."""
    payload = change_payload(change, event)
    round_ = change.postponements
    rows = [
        WebhookDelivery(
            idempotency_key=f"webhook:{pk}:{event}:{change.pk}" + (f":round-{round_}" if round_ else ""),
            webhook_id=pk,
            event=event,
            change=change,
            payload=payload,
            notice_round=round_,
            ref_type=SubprocessorChange._meta.label,
            ref_id=str(change.pk),
        )
        for pk in Webhook.objects.filter(active=True).values_list("id", flat=True)
    ]
    WebhookDelivery.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    ids = list(
        WebhookDelivery.objects.filter(
            change=change, event=event, notice_round=round_, status=WebhookDelivery.Status.PENDING, attempts=0
        ).values_list("id", flat=True)
    )
    enqueue.webhook_deliveries_deliver(ids)
    return len(rows)


def delivery_body(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, sort_keys=True, separators=(",", ":")).encode()


def _send(delivery: WebhookDelivery) -> engine.Attempt:
    """Sign and POST one delivery; the attempt log gets its status code or a fixed reason, never raw texts."""
    webhook = delivery.webhook
    status_code, error = None, ""
    if not webhook.active:
        error = "Webhook was removed."
    else:
        try:
            # one resolution, every address checked, and the POST goes to a checked address (no rebinding)
            target = webhook_target(webhook.url)
            body = delivery_body(delivery)
            msg_id = str(delivery.delivery_id)
            headers = {
                "Content-Type": "application/json",
                "User-Agent": f"{settings.PORTAL_NAME} webhooks",
                EVENT_HEADER: delivery.event,
                DELIVERY_HEADER: msg_id,
                **webhook_signature_headers(webhook.secret, body, int(timezone.now().timestamp()), msg_id),
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
    entry = {"at": timezone.now().isoformat(), "status_code": status_code, "error": error}
    return engine.Attempt(
        error=error,
        give_up=not webhook.active,
        fields={"attempt_log": [*delivery.attempt_log, entry], "last_status_code": status_code},
    )


def _admit(rows: list[WebhookDelivery], now: dt.datetime) -> tuple[list[WebhookDelivery], list[WebhookDelivery]]:
    """Of the due deliveries a batch locked, those whose endpoint has room (fewer than
    WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT in sending, counting these), and the rest, left pending.

    The endpoints' rows are locked first (in id order, so two batches never wait on each other in a circle): two
    batches claiming for the same endpoint count one after the other, and the limit holds across workers. Rows
    stuck in sending past STUCK_AFTER (their worker died) do not count; the sweep puts them back."""
    limit = max(1, settings.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT)
    endpoints = sorted({row.webhook_id for row in rows})
    list(Webhook.objects.select_for_update().filter(pk__in=endpoints).order_by("pk").values_list("pk", flat=True))
    in_flight = Counter(
        dict(
            WebhookDelivery.objects.filter(
                webhook_id__in=endpoints, status=WebhookDelivery.Status.SENDING, locked_at__gte=now - STUCK_AFTER
            )
            .order_by()
            .values_list("webhook_id")
            .annotate(n=Count("id"))
            .values_list("webhook_id", "n")
        )
    )
    admitted, held = [], []
    for row in rows:
        if in_flight[row.webhook_id] < limit:
            in_flight[row.webhook_id] += 1
            admitted.append(row)
        else:
            held.append(row)
    return admitted, held


def _refusal(exc: ApplicationError) -> str:
    if "address" in exc.extra:
        return REFUSED_ADDRESS
    if exc.message == URL_UNRESOLVABLE:
        return REFUSED_UNRESOLVABLE
    return REFUSED_URL


def _alert_failed(delivery: WebhookDelivery, failed_at: dt.datetime) -> None:
    """A staff chat alert for a webhook delivery that failed permanently, linking to the failed deliveries (where
    staff retry it). Only the endpoint's host is shown: a customer's URL may carry a token in its path or query. At
    most one an hour per endpoint host: an endpoint that is down fails every delivery to it."""
    webhook = delivery.webhook
    chat_alert_queue(
        kind=ChatAlert.Kind.DELIVERY_FAILED,
        text=chat_text(
            title="Webhook delivery failed permanently",
            facts=[
                ("Organisation", webhook.organisation.name),
                ("Endpoint", urlsplit(webhook.url).hostname or ""),
                ("Event", delivery.event),
                ("Attempts", delivery.attempts),
                ("Last error", delivery.last_error),
                ("Failed at", chat_time(failed_at)),
            ],
        ),
        url=settings.SITE_URL + reverse("webhooks:staff_deliveries") + "?status=failed",
        dedupe_key=f"delivery-failed:webhook:{urlsplit(webhook.url).hostname}:{failed_at:%Y-%m-%dT%H}",
        ref=delivery,
    )


WEBHOOK = engine.Channel(
    kind="webhook",
    model=WebhookDelivery,
    send=_send,
    backoff=RETRY_BACKOFF_SECONDS,
    max_attempts=lambda: MAX_ATTEMPTS,
    stuck_after=lambda: STUCK_AFTER,
    select_related=("webhook__organisation",),
    admit=_admit,
    on_failed=_alert_failed,
)


def _outcome(result: str) -> str:
    return "succeeded" if result == engine.DELIVERED else result


def webhook_deliver(*, delivery_id: int, now: dt.datetime | None = None) -> str:
    """Attempt one delivery. Returns "succeeded", "retry", "failed", "skipped" or "deferred" (its endpoint has
    WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT deliveries in flight)."""
    return webhook_deliver_batch(delivery_ids=[delivery_id], now=now)[delivery_id]


def webhook_deliver_batch(*, delivery_ids: list[int], now: dt.datetime | None = None) -> dict[int, str]:
    """Attempt the due deliveries among `delivery_ids`, claimed at once. Returns each id's outcome."""
    return {pk: _outcome(result) for pk, result in engine.deliver_batch(WEBHOOK, delivery_ids, now=now).items()}


def webhook_followups(*, results: dict[int, str]) -> dict[int, list[int]]:
    """After a batch: countdown (seconds) → ids to attempt again then (retries due soon, deferred deliveries)."""
    return engine.followups(WEBHOOK, results)


def webhook_due_ids(*, limit: int = 500) -> list[int]:
    """Deliveries whose retry is due, or stuck in `sending` after a lost worker."""
    return engine.due_ids(WEBHOOK, limit=limit)


def webhook_retry_countdown(*, delivery_id: int) -> int | None:
    """When to try a delivery again that `webhook_deliver` left for a retry (None: the sweep sends it when due)."""
    return engine.retry_countdown(WEBHOOK, delivery_id)


def on_change_event(sender, *, change: SubprocessorChange, event: str, **kwargs) -> None:
    """Receiver of `changes.signals.change_event` (connected in WebhooksConfig.ready): one delivery per webhook."""
    webhook_deliveries_create(change=change, event=event)
