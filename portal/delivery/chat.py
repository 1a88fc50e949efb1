"""Staff alerts in chat: one message per event that needs a decision, posted to STAFF_CHAT_WEBHOOK_URL.

The higher apps call `chat_alert_queue` inside the transaction of their event (a new access request, an objection,
a breach deadline drawing near, a failed delivery, a held change). It writes a `ChatAlert` row, once per
`dedupe_key`, and enqueues its delivery after the commit; the delivery engine (`portal.delivery.services`) posts
it with the same claim / back-off / sweep loop as emails and webhooks. Sent means the chat server answered 2xx;
after MAX_ATTEMPTS the alert is failed and shows on the staff dashboard and at Staff → Chat alerts.

The body is `{"text": "<title>\\n<label>: <value>\\n…\\n<link>"}`, which Slack incoming webhooks and Microsoft
Teams (legacy incoming webhooks, and Workflows' "post to a channel when a webhook request is received") both
accept. Values that come from users are put on one line, shortened, and `&`, `<`, `>` escaped as Slack asks, so a
company name cannot mention @channel or forge a link.

With STAFF_CHAT_WEBHOOK_URL empty nothing is queued. Queueing never fails its caller: an error is logged and the
event goes on without its alert.
"""

import datetime as dt
import json
import logging
import re
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from portal.core.errors import ApplicationError
from portal.delivery import enqueue, events
from portal.delivery import services as engine
from portal.delivery.models import ChatAlert
from portal.delivery.webhook_security import webhook_target
from portal.delivery.webhook_transport import DeliveryFailed, webhook_post

logger = logging.getLogger(__name__)

# Seconds before attempt n+1; after the last one the alert is failed (about 1.5 hours after it was queued).
BACKOFF_SECONDS = (30, 120, 600, 1800, 3600)
MAX_ATTEMPTS = len(BACKOFF_SECONDS) + 1
STUCK_AFTER = dt.timedelta(minutes=5)
NOT_CONFIGURED = "STAFF_CHAT_WEBHOOK_URL is not set"
ONLY_FAILED = "Only failed chat alerts can be retried."
VALUE_MAX = 200
_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def chat_enabled() -> bool:
    return bool(settings.STAFF_CHAT_WEBHOOK_URL)


def chat_value(value: object, *, limit: int = VALUE_MAX) -> str:
    """A user-supplied value on one line: control characters and runs of white space become one space, at most
    `limit` characters, and `&`, `<`, `>` escaped (Slack reads `<!channel>` and `<url|text>` as commands)."""
    text = _SPACES.sub(" ", _CONTROL.sub(" ", str(value))).strip()
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def chat_time(moment: dt.datetime) -> str:
    """`2026-12-05 13:00 UTC (14:00 Europe/Amsterdam)`; the local date is added when it differs from UTC's."""
    utc = moment.astimezone(dt.UTC)
    local = moment.astimezone(ZoneInfo(settings.PORTAL_TIME_ZONE))
    local_text = f"{local:%H:%M}" if local.date() == utc.date() else f"{local:%Y-%m-%d %H:%M}"
    return f"{utc:%Y-%m-%d %H:%M} UTC ({local_text} {settings.PORTAL_TIME_ZONE})"


def chat_text(*, title: str, facts: Sequence[tuple[str, object]]) -> str:
    """The title line and one `Label: value` line per fact (values made safe with `chat_value`; empty ones left
    out). `chat_alert_queue` adds the link as the last line."""
    lines = [chat_value(title)]
    lines += [f"{label}: {chat_value(value)}" for label, value in facts if value not in (None, "")]
    return "\n".join(lines)


def chat_alert_queue(*, kind: str, text: str, url: str, dedupe_key: str, ref=None) -> ChatAlert | None:
    """Queue one staff chat alert, at most once per `dedupe_key`, in the caller's transaction; it is posted after
    the commit. `text` is the title line and facts (see `chat_text`), `url` the absolute link to the staff page
    that decides it. Returns None when STAFF_CHAT_WEBHOOK_URL is empty or queueing failed (logged): an alert
    never breaks the event that caused it."""
    if not chat_enabled():
        return None
    try:
        with transaction.atomic():
            alert, created = ChatAlert.objects.get_or_create(
                idempotency_key=dedupe_key[:200],
                defaults={
                    "kind": kind,
                    "text": f"{text}\n{url}",
                    "url": url[:500],
                    "ref_type": ref._meta.label if ref is not None else "",
                    "ref_id": str(ref.pk) if ref is not None else "",
                },
            )
    except Exception:  # noqa: BLE001 - see the docstring: the event goes on without its alert
        logger.exception("Could not queue the %s chat alert %s", kind, dedupe_key)
        return None
    if created:
        enqueue.chat_alerts_deliver([alert.pk])
    return alert


def chat_body(alert: ChatAlert) -> bytes:
    return json.dumps({"text": alert.text}, ensure_ascii=False).encode()


def _send(alert: ChatAlert) -> engine.Attempt:
    """POST one alert to STAFF_CHAT_WEBHOOK_URL through the customer-webhook transport: the address rules of
    `webhook_target` (HTTPS, public addresses), one resolution, no redirects, WEBHOOK_TIMEOUT_SECONDS."""
    url = settings.STAFF_CHAT_WEBHOOK_URL
    if not url:
        return engine.Attempt(error=NOT_CONFIGURED, give_up=True)
    status_code, error = None, ""
    try:
        target = webhook_target(url)
        status_code = webhook_post(
            target=target,
            body=chat_body(alert),
            headers={"Content-Type": "application/json", "User-Agent": f"{settings.PORTAL_NAME} staff alerts"},
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
        )
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
    except ApplicationError as exc:  # the operator's own setting: the message helps them fix it
        error = f"refused: {exc.message}"
    except DeliveryFailed as exc:
        error = exc.reason
    if error:
        logger.warning("Chat alert %s attempt %s failed: %s", alert.pk, alert.attempts, error)
    return engine.Attempt(error=error, fields={"last_status_code": status_code})


CHAT = engine.Channel(
    kind="chat",
    model=ChatAlert,
    send=_send,
    backoff=BACKOFF_SECONDS,
    max_attempts=lambda: MAX_ATTEMPTS,
    stuck_after=lambda: STUCK_AFTER,
)


def chat_deliver_batch(*, alert_ids: Sequence[int]) -> dict[int, str]:
    """Post the queued, due alerts among `alert_ids`. Returns each id's "delivered", "retry", "failed" or
    "skipped"."""
    return engine.deliver_batch(CHAT, alert_ids)


def chat_followups(*, results: dict[int, str]) -> dict[int, list[int]]:
    """After a batch: countdown (seconds) → ids to post again then (retries due within minutes)."""
    return engine.followups(CHAT, results)


def chat_due_ids(*, limit: int = 500) -> list[int]:
    """Alerts a lost task left behind: queued and due, or stuck in `sending` past STUCK_AFTER."""
    return engine.due_ids(CHAT, limit=limit)


@transaction.atomic
def chat_alert_retry(*, alert: ChatAlert, actor, request=None) -> ChatAlert:
    """Staff post a failed alert again (once the chat URL is fixed): a fresh round of attempts, audited."""
    alert = ChatAlert.objects.select_for_update().get(pk=alert.pk)
    if alert.status != ChatAlert.Status.FAILED:
        raise ApplicationError(ONLY_FAILED)
    engine.delivery_restart(CHAT, row=alert)
    events.chat_alert_retried(alert=alert, actor=actor, request=request)
    enqueue.chat_alerts_deliver([alert.pk])
    return alert
