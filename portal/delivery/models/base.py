"""The shape of a row the delivery engine (`portal.delivery.services`) sends: an email, a webhook call.

Each concrete model keeps the status values and the delivered-time column it had before this base existed
(`OutboundEmail`: queued/sending/sent/failed and `sent_at`; `WebhookDelivery`: pending/sending/succeeded/failed
and `delivered_at`) and names them in `STATES` and `DELIVERED_AT`, so no stored value had to change.
"""

from typing import ClassVar, NamedTuple

from django.db import models

from portal.core.models import BaseModel


class DeliveryStates(NamedTuple):
    """The stored value of each state a delivery passes through."""

    waiting: str  # queued for an attempt, now or at next_attempt_at
    sending: str  # claimed by a worker; a row left here past its model's stuck time is swept back
    delivered: str  # the other side accepted it; never sent again
    failed: str  # no attempts left; staff can start a fresh round


class Delivery(BaseModel):
    # One registry key per model for delivery events ("email", "webhook").
    KIND: ClassVar[str]
    STATES: ClassVar[DeliveryStates]
    # The column that records when the other side accepted it.
    DELIVERED_AT: ClassVar[str] = "delivered_at"

    # Written once with the row: creating it again with the same key returns the first row.
    idempotency_key = models.CharField(max_length=200, unique=True)
    # Concrete models redeclare it with their choices and default.
    status = models.CharField(max_length=10, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    locked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # What the delivery is about (a model label and primary key, e.g. "dpa.OrgNotification", "12"): its
    # delivery events go to the handlers registered for that label.
    ref_type = models.CharField(max_length=80, blank=True)
    ref_id = models.CharField(max_length=64, blank=True)

    class Meta(BaseModel.Meta):
        abstract = True

    @property
    def delivered_time(self):
        return getattr(self, self.DELIVERED_AT)
