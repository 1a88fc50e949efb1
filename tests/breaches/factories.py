import datetime as dt

from django.utils import timezone

from dpa.breaches.models import BreachIncident, BreachNotification
from dpa.breaches.services import breach_incident_create, breach_notification_send
from portal.audit.services import Actor
from portal.delivery.models import OutboundEmail
from portal.delivery.outbox import outbox_deliver

FILLED = {
    "nature": "API request logs of about 1,200 end users.",
    "data": "Email addresses and IP addresses; about 40,000 records.",
    "consequences": "Risk of targeted phishing.",
    "measures": "Access revoked, keys rotated.",
}


def make_incident(*, organisations, aware_at=None, actor=None, pending=(), empty=(), **extra) -> BreachIncident:
    fields = {"title": "Log bucket exposed", "severity": BreachIncident.Severity.HIGH, **FILLED}
    for key in pending:
        fields[f"{key}_pending"] = True
        fields[key] = ""
    for key in empty:
        fields[key] = ""
    fields.update(extra)
    return breach_incident_create(
        actor=actor or Actor(label="test"),
        organisations=organisations,
        aware_at=aware_at or timezone.now() - dt.timedelta(hours=1),
        **fields,
    )


def deliver(notification) -> BreachNotification:
    """Let the outbox deliver a queued notice now (the mail server accepts it); return the notification."""
    notification = BreachNotification.objects.get(pk=notification.pk)
    assert outbox_deliver(email_id=notification.email_id) == "sent"
    return BreachNotification.objects.get(pk=notification.pk)


def send_and_deliver(notification, actor) -> BreachNotification:
    return deliver(breach_notification_send(notification=notification, actor=actor))


def refuse_every_attempt(email_id: int) -> list[str]:
    """Run every delivery attempt of one email now (with EMAIL_BACKEND refusing them), skipping the backoff."""
    results = []
    while not results or results[-1] == "retry":
        OutboundEmail.objects.filter(pk=email_id).update(next_attempt_at=None)
        results.append(outbox_deliver(email_id=email_id))
    return results


def mark_delivered(notifications, *, at=None, acknowledged: bool = False) -> int:
    """Record notices as delivered (and acknowledged) in bulk, for tests of what pages show."""
    at = at or timezone.now()
    fields = {"status": "delivered", "queued_at": at, "delivered_at": at, "delivered_message_id": "<t@test.example>"}
    if acknowledged:
        fields.update(status="acknowledged", acknowledged_at=at, acknowledged_via="portal")
    return notifications.update(**fields)
