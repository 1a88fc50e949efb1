"""Delivery events: what an email is about hears when it was delivered or finally failed.

An app registers a handler per `ref_type` (the model label an email's `ref` points at), e.g. the breach register
for "dpa.OrgNotification". `outbox_deliver` calls it in the same transaction that marks the email `sent` (the
SMTP server accepted it) or `failed` (no attempts left), so a record never claims a delivery that did not
happen, and a delivery is never left unrecorded by the thing it was about. Handlers must be idempotent: after a
lost database connection the status change and the handler run again together.
"""

from collections.abc import Callable

from portal.models import OutboundEmail

Handler = Callable[[OutboundEmail], None]
_delivered: dict[str, list[Handler]] = {}
_failed: dict[str, list[Handler]] = {}


def on_email_delivered(ref_type: str) -> Callable[[Handler], Handler]:
    """Decorator: call the function with the email row when an email about a `ref_type` object is delivered."""

    def register(handler: Handler) -> Handler:
        if handler not in _delivered.setdefault(ref_type, []):
            _delivered[ref_type].append(handler)
        return handler

    return register


def on_email_failed(ref_type: str) -> Callable[[Handler], Handler]:
    """Decorator: call the function with the email row when an email about a `ref_type` object finally failed."""

    def register(handler: Handler) -> Handler:
        if handler not in _failed.setdefault(ref_type, []):
            _failed[ref_type].append(handler)
        return handler

    return register


def email_delivered(email: OutboundEmail) -> None:
    for handler in _delivered.get(email.ref_type, ()):
        handler(email)


def email_failed(email: OutboundEmail) -> None:
    for handler in _failed.get(email.ref_type, ()):
        handler(email)
