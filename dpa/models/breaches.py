import uuid

from django.conf import settings
from django.db import models

from portal.models import BaseModel

# The four required contents of a notification: (field prefix, label).
BLOCKS = (
    ("nature", "(i) Nature of the breach, categories and approximate number of data subjects"),
    ("data", "(ii) Affected data and approximate number of records"),
    ("consequences", "(iii) Established and expected consequences"),
    ("measures", "(iv) Measures taken and planned"),
)


class BreachIncident(BaseModel):
    class Severity(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"
        CRITICAL = "critical", "Critical"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CONTAINED = "contained", "Contained"
        CLOSED = "closed", "Closed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=200)
    aware_at = models.DateTimeField(help_text="When we became aware of the breach: the 48-hour clock starts here.")
    detected_by = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    nature = models.TextField(blank=True)
    nature_pending = models.BooleanField(default=False)
    data = models.TextField(blank=True)
    data_pending = models.BooleanField(default=False)
    consequences = models.TextField(blank=True)
    consequences_pending = models.BooleanField(default=False)
    measures = models.TextField(blank=True)
    measures_pending = models.BooleanField(default=False)

    class Scope(models.TextChoices):
        SELECTED = "selected", "Organisations chosen individually"
        ALL = "all", "All customers"
        SUBPROCESSOR = "subprocessor", "All customers using a sub-processor"

    scope = models.CharField(max_length=20, choices=Scope.choices, default=Scope.SELECTED)
    subprocessor = models.ForeignKey(
        "subprocessors.Subprocessor",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="breach_incidents",
        help_text="The sub-processor where the breach happened, when the scope is its customers.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta(BaseModel.Meta):
        ordering = ("-aware_at",)
        permissions = [("send_breachnotification", "Can send breach notifications")]

    def __str__(self):
        return self.title

    def blocks(self) -> list[dict]:
        """Each content block with its text and state: "filled", "pending" (marked to follow) or "empty"."""
        out = []
        for key, label in BLOCKS:
            text = getattr(self, key).strip()
            pending = getattr(self, f"{key}_pending")
            state = "filled" if text and not pending else ("pending" if pending else "empty")
            out.append({"key": key, "label": label, "text": text, "pending": pending, "state": state})
        return out

    def empty_blocks(self) -> list[dict]:
        return [b for b in self.blocks() if b["state"] == "empty"]

    def pending_blocks(self) -> list[dict]:
        return [b for b in self.blocks() if b["state"] == "pending"]


class BreachNotification(BaseModel):
    """The notice to one affected organisation, due 48 hours after `incident.aware_at`."""

    class Via(models.TextChoices):
        LINK = "link", "Signed link in the email"
        PORTAL = "portal", "Portal"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    incident = models.ForeignKey(BreachIncident, on_delete=models.PROTECT, related_name="notifications")
    organisation = models.ForeignKey("portal.Organisation", on_delete=models.PROTECT, related_name="breach_notices")
    deadline = models.DateTimeField(db_index=True)
    recipient_email = models.EmailField(blank=True)
    recipient_is_fallback = models.BooleanField(
        default=False, help_text="No breach contact was set: the privacy-notice contact receives it."
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    pending_at_send = models.JSONField(default=list, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=254, blank=True)
    acknowledged_via = models.CharField(max_length=10, choices=Via.choices, blank=True)
    obligation = models.OneToOneField(
        "dpa.Obligation", on_delete=models.PROTECT, null=True, blank=True, related_name="breach_notification"
    )

    class Meta(BaseModel.Meta):
        ordering = ("organisation__name",)
        constraints = [
            models.UniqueConstraint(fields=("incident", "organisation"), name="uniq_breach_notice_per_org"),
            models.CheckConstraint(
                condition=models.Q(acknowledged_at__isnull=True) | models.Q(sent_at__isnull=False),
                name="breach_ack_after_send",
            ),
        ]

    def __str__(self):
        return f"{self.incident} → {self.organisation}"

    @property
    def status(self) -> str:
        if self.acknowledged_at:
            return "acknowledged"
        if self.sent_at:
            return "sent_on_time" if self.sent_at <= self.deadline else "sent_late"
        return "unsent"

    @property
    def status_label(self) -> str:
        return {
            "acknowledged": "Acknowledged",
            "sent_on_time": "Sent on time",
            "sent_late": "Sent late",
            "unsent": "Unsent",
        }[self.status]

    @property
    def margin(self):
        """Time left before the deadline when sent (negative when late); None while unsent."""
        return None if self.sent_at is None else self.deadline - self.sent_at


class BreachFollowUp(BaseModel):
    """A numbered update sent on an already-sent notification (phased notification)."""

    notification = models.ForeignKey(BreachNotification, on_delete=models.PROTECT, related_name="followups")
    number = models.PositiveSmallIntegerField()
    message = models.TextField(blank=True)
    contents = models.JSONField(default=list, blank=True)
    sent_at = models.DateTimeField()
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta(BaseModel.Meta):
        ordering = ("notification_id", "number")
        constraints = [models.UniqueConstraint(fields=("notification", "number"), name="uniq_breach_followup_number")]

    def __str__(self):
        return f"Update {self.number} on {self.notification}"
