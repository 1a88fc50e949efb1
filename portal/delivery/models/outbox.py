import uuid
from email.utils import make_msgid

from django.conf import settings
from django.db import models

from portal.delivery.models.base import Delivery, DeliveryStates


def message_id_domain() -> str:
    return settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "trust-portal"


def new_message_id() -> str:
    """A Message-ID fixed when the row is written: every attempt sends the same one, so a receiver can drop a
    copy re-sent after the SMTP server accepted the first but the portal could not record it."""
    return make_msgid(idstring=uuid.uuid4().hex, domain=message_id_domain())


class OutboundEmail(Delivery):
    """Every email the portal sends is first a row here, written in the transaction that causes it."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    KIND = "email"
    STATES = DeliveryStates(Status.QUEUED, Status.SENDING, Status.SENT, Status.FAILED)
    DELIVERED_AT = "sent_at"

    to_email = models.EmailField(db_index=True)
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    template = models.CharField(max_length=100, blank=True, db_index=True)
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.SET_NULL, null=True, blank=True, related_name="emails"
    )
    # ref_type/ref_id (from Delivery) say what the email is about: proof-of-notice queries use them too.
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    # When the SMTP server accepted the message ("delivered" in every record of the portal), and its Message-ID.
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=255, default=new_message_id, editable=False)

    class Meta(Delivery.Meta):
        indexes = [
            models.Index(fields=("status", "updated_at")),
            models.Index(fields=("ref_type", "ref_id")),
        ]
        permissions = [("retry_outboundemail", "Can retry failed emails")]

    def __str__(self):
        return f"{self.subject} → {self.to_email} ({self.status})"
