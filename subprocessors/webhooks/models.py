import uuid

from django.conf import settings
from django.db import models

from portal.core.models import BaseModel
from portal.delivery.models.base import Delivery, DeliveryStates


class Webhook(BaseModel):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField("URL", max_length=500)
    secret = models.CharField(max_length=100)
    description = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta(BaseModel.Meta):
        ordering = ("organisation", "url")
        constraints = [
            models.UniqueConstraint(
                fields=("organisation", "url"), condition=models.Q(active=True), name="uniq_active_webhook_url"
            )
        ]

    def __str__(self):
        return self.url


def new_delivery_key() -> str:
    """The idempotency key of a delivery created one by one (tests, tools); a change's deliveries get
    `webhook:<webhook>:<event>:<change>` from `webhook_deliveries_create`."""
    return f"webhook:{uuid.uuid4()}"


class WebhookDelivery(Delivery):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SUCCEEDED = "succeeded", "Delivered"
        FAILED = "failed", "Failed"

    KIND = "webhook"
    STATES = DeliveryStates(Status.PENDING, Status.SENDING, Status.SUCCEEDED, Status.FAILED)

    idempotency_key = models.CharField(max_length=200, unique=True, default=new_delivery_key)
    # Sent as `webhook-id` (and `X-Portal-Delivery`): the same on every attempt, so receivers can drop repeats.
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=60)
    change = models.ForeignKey(
        "changes.SubprocessorChange", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    payload = models.JSONField()
    # The change's postponement count when the event happened: a change can be held and postponed more than once.
    notice_round = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # [{"at": iso, "status_code": int|None, "error": str}] — what the admin sees per attempt.
    attempt_log = models.JSONField(default=list, blank=True)

    class Meta(Delivery.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=("webhook", "event", "change", "notice_round"), name="uniq_webhook_event_change_round"
            )
        ]
        indexes = [models.Index(fields=("status", "next_attempt_at"))]

    def __str__(self):
        return f"{self.event} → {self.webhook.url} ({self.status})"
