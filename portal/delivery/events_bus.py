"""Delivery events: what an email or a webhook call is about hears when it was delivered or finally failed.

An app registers a handler per kind of delivery ("email", "webhook") and `ref_type` (the model label a delivery's
`ref` points at), e.g. the breach register for emails about "dpa.OrgNotification". The delivery engine
(`portal.delivery.services`) calls it in the same transaction that marks the row delivered (the SMTP server or the
webhook endpoint accepted it) or failed (no attempts left), so a record never claims a delivery that did not
happen, and a delivery is never left unrecorded by the thing it was about. Handlers must be idempotent: after a
lost database connection the status change and the handler run again together.
"""

from collections.abc import Callable
from typing import Any

from portal.delivery.models.base import Delivery

# A handler takes the concrete row of its kind: an OutboundEmail for "email", a WebhookDelivery for "webhook".
Handler = Callable[[Any], None]
# One registry per kind and outcome, looked up by name at call time (tests swap a registry for an empty one).
_delivered: dict[str, list[Handler]] = {}  # emails
_failed: dict[str, list[Handler]] = {}
_webhook_delivered: dict[str, list[Handler]] = {}
_webhook_failed: dict[str, list[Handler]] = {}
_chat_delivered: dict[str, list[Handler]] = {}  # staff chat alerts (portal.delivery.chat): none listens yet
_chat_failed: dict[str, list[Handler]] = {}
_REGISTRIES = {
    ("email", "delivered"): "_delivered",
    ("email", "failed"): "_failed",
    ("webhook", "delivered"): "_webhook_delivered",
    ("webhook", "failed"): "_webhook_failed",
    ("chat", "delivered"): "_chat_delivered",
    ("chat", "failed"): "_chat_failed",
}


def _registry(kind: str, outcome: str) -> dict[str, list[Handler]]:
    return globals()[_REGISTRIES[kind, outcome]]


def on_delivery(kind: str, outcome: str, ref_type: str) -> Callable[[Handler], Handler]:
    """Decorator: call the function with the row when a `kind` delivery about a `ref_type` object reaches
    `outcome` ("delivered" or "failed")."""

    def register(handler: Handler) -> Handler:
        handlers = _registry(kind, outcome).setdefault(ref_type, [])
        if handler not in handlers:
            handlers.append(handler)
        return handler

    return register


def delivery_event(row: Delivery, outcome: str) -> None:
    """Tell the handlers registered for what `row` is about (called by the delivery engine, in its transaction)."""
    for handler in _registry(row.KIND, outcome).get(row.ref_type, ()):
        handler(row)


def delivery_event_heard(row: Delivery, outcome: str) -> bool:
    """Whether any handler hears of `row` reaching `outcome` (the engine skips the transaction when none does)."""
    return bool(_registry(row.KIND, outcome).get(row.ref_type))


def on_email_delivered(ref_type: str) -> Callable[[Handler], Handler]:
    return on_delivery("email", "delivered", ref_type)


def on_email_failed(ref_type: str) -> Callable[[Handler], Handler]:
    return on_delivery("email", "failed", ref_type)


def on_webhook_delivered(ref_type: str) -> Callable[[Handler], Handler]:
    return on_delivery("webhook", "delivered", ref_type)


def on_webhook_failed(ref_type: str) -> Callable[[Handler], Handler]:
    return on_delivery("webhook", "failed", ref_type)


def email_delivered(email: Delivery) -> None:
    delivery_event(email, "delivered")


def email_failed(email: Delivery) -> None:
    delivery_event(email, "failed")
