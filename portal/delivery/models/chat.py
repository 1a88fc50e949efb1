from django.db import models

from portal.delivery.models.base import Delivery, DeliveryStates


class ChatAlert(Delivery):
    """A message for the legal staff's chat channel (STAFF_CHAT_WEBHOOK_URL), written in the transaction of the
    event it reports; `idempotency_key` is the alert's dedupe key, so each event is posted at most once."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    class Kind(models.TextChoices):
        ACCESS_REQUEST = "access_request", "New access request"
        OBJECTION = "objection", "New objection"
        BREACH_DEADLINE = "breach_deadline", "Breach notification deadline"
        DELIVERY_FAILED = "delivery_failed", "Delivery failed"
        CHANGE_HELD = "change_held", "Change held"

    KIND = "chat"
    STATES = DeliveryStates(Status.QUEUED, Status.SENDING, Status.SENT, Status.FAILED)
    DELIVERED_AT = "sent_at"

    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    # The whole message as posted (`{"text": text}`): title line, facts, link.
    text = models.TextField()
    # The staff page that decides it (absolute); also the last line of `text`.
    url = models.URLField("URL", max_length=500)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # When the chat server answered 2xx.
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta(Delivery.Meta):
        indexes = [models.Index(fields=("status", "next_attempt_at"))]
        permissions = [("retry_chatalert", "Can retry failed chat alerts")]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.status})"
