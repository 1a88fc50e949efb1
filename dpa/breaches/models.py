import uuid

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import F, Q

from portal.audit.triggers import Refuse
from portal.core.models import BaseModel

# The four required contents of a notification: (field prefix, label).
BLOCKS = (
    ("nature", "(i) Nature of the breach, categories and approximate number of data subjects"),
    ("data", "(ii) Affected data and approximate number of records"),
    ("consequences", "(iii) Established and expected consequences"),
    ("measures", "(iv) Measures taken and planned"),
)
# The first notice must at least describe the nature of the breach (i) in a meaningful text.
NATURE_MIN_LENGTH = 30


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
    aware_at = models.DateTimeField(help_text="When we became aware of the breach, as last recorded.")
    # Every deadline runs from here: the earliest awareness time ever recorded. It only ever decreases (the
    # service refuses anything else, and on PostgreSQL a trigger does too), so no edit can buy more time.
    earliest_aware_at = models.DateTimeField(
        help_text="The earliest awareness time ever recorded: the 48-hour clock starts here."
    )
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
        "listing.Subprocessor",
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
        # The 48-hour clock starts at the earliest awareness ever recorded: PostgreSQL refuses moving it later,
        # raw SQL and bulk updates included (SQLite, for a first look only, relies on the services).
        triggers = [
            Refuse(
                name="breach_earliest_aware_only_earlier",
                operation=pgtrigger.Update,
                condition=pgtrigger.Q(new__earliest_aware_at__gt=pgtrigger.F("old__earliest_aware_at")),
                message="breach incident %: the earliest awareness time can only move earlier.",
                args=("OLD.public_id",),
                hint="Record a later awareness as an awareness change; the earliest time stays.",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(earliest_aware_at__lte=F("aware_at")), name="breach_earliest_aware_not_after_aware"
            ),
        ]

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


class BreachAwarenessChange(BaseModel):
    """One change of an incident's awareness time, with the reason staff gave. `after_notice` marks changes made
    once the time was fixed (a notification had gone out or the deadline had passed): those can only be earlier,
    and they are shown to the notified controllers."""

    incident = models.ForeignKey(BreachIncident, on_delete=models.PROTECT, related_name="awareness_changes")
    before = models.DateTimeField()
    after = models.DateTimeField()
    earliest_before = models.DateTimeField()
    earliest_after = models.DateTimeField()
    reason = models.TextField()
    after_notice = models.BooleanField(default=False)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_by_label = models.CharField(max_length=254, blank=True)

    class Meta(BaseModel.Meta):
        ordering = ("incident_id", "created_at", "id")
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="breach_awareness_change_has_reason"),
            models.CheckConstraint(
                condition=Q(earliest_after__lte=F("earliest_before")), name="breach_earliest_aware_only_decreases"
            ),
        ]

    def __str__(self):
        return f"{self.incident}: {self.before:%Y-%m-%d %H:%M} → {self.after:%Y-%m-%d %H:%M}"


class DeliveryStatus(models.TextChoices):
    """Where the email of a notice or an update stands. "Delivered" means the mail server accepted it."""

    DRAFTED = "drafted", "Drafted"
    QUEUED = "queued", "Queued"
    DELIVERED = "delivered", "Delivered"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    FAILED = "failed", "Delivery failed"


DELIVERED_STATES = (DeliveryStatus.DELIVERED, DeliveryStatus.ACKNOWLEDGED)


class BreachNotification(BaseModel):
    """The notice to one affected organisation, due 48 hours after `incident.earliest_aware_at`.

    drafted → queued (legal staff sent it; an outbox email exists) → delivered (the mail server accepted it: time
    and Message-ID kept) → acknowledged (the controller confirmed receipt); or queued → failed (every attempt
    refused) → queued again when staff resend it. Only delivery counts as notifying: "on time" means delivered by
    the deadline.
    """

    Status = DeliveryStatus

    class Via(models.TextChoices):
        LINK = "link", "Signed link in the email"
        PORTAL = "portal", "Portal"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    incident = models.ForeignKey(BreachIncident, on_delete=models.PROTECT, related_name="notifications")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="breach_notices"
    )
    deadline = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFTED, db_index=True)
    recipient_email = models.EmailField(blank=True)
    recipient_is_fallback = models.BooleanField(
        default=False, help_text="No breach contact was set: the privacy-notice contact receives it."
    )
    # When legal staff last queued it (the first send or a resend), and who.
    queued_at = models.DateTimeField(null=True, blank=True)
    queued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The outbox email currently carrying the notice (a resend replaces it).
    email = models.ForeignKey(
        "delivery.OutboundEmail", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    delivered_at = models.DateTimeField(null=True, blank=True)
    delivered_message_id = models.CharField(max_length=255, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.TextField(blank=True)
    pending_at_send = models.JSONField(default=list, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=254, blank=True)
    acknowledged_via = models.CharField(max_length=10, choices=Via.choices, blank=True)
    obligation = models.OneToOneField(
        "deadlines.Obligation", on_delete=models.PROTECT, null=True, blank=True, related_name="breach_notification"
    )

    class Meta(BaseModel.Meta):
        ordering = ("organisation__name",)
        triggers = [
            Refuse(
                name="breach_notice_delivery_fixed",
                operation=pgtrigger.Update,
                condition=pgtrigger.Condition(
                    'OLD."delivered_at" IS NOT NULL AND (NEW."delivered_at", NEW."delivered_message_id") '
                    'IS DISTINCT FROM (OLD."delivered_at", OLD."delivered_message_id")'
                ),
                message="breach notification %: a recorded delivery (time and Message-ID) cannot change.",
                args=("OLD.id",),
                hint="The delivery is evidence of notice; send a follow-up instead.",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=("incident", "organisation"), name="uniq_breach_notice_per_org"),
            models.CheckConstraint(
                condition=Q(status=DeliveryStatus.DRAFTED, queued_at__isnull=True)
                | (~Q(status=DeliveryStatus.DRAFTED) & Q(queued_at__isnull=False)),
                name="breach_notice_queued_has_time",
            ),
            models.CheckConstraint(
                condition=Q(status__in=DELIVERED_STATES, delivered_at__isnull=False) & ~Q(delivered_message_id="")
                | (~Q(status__in=DELIVERED_STATES) & Q(delivered_at__isnull=True)),
                name="breach_notice_delivered_has_time_and_message_id",
            ),
            models.CheckConstraint(
                condition=~Q(status=DeliveryStatus.FAILED) | Q(failed_at__isnull=False),
                name="breach_notice_failed_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=DeliveryStatus.ACKNOWLEDGED) | Q(acknowledged_at__isnull=False),
                name="breach_notice_acknowledged_has_time",
            ),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True) | Q(queued_at__isnull=False),
                name="breach_ack_after_send",
            ),
        ]

    def __str__(self):
        return f"{self.incident} → {self.organisation}"

    @property
    def is_delivered(self) -> bool:
        return self.delivered_at is not None

    @property
    def on_time(self) -> bool | None:
        """Delivered by the deadline; None while nothing was delivered."""
        return None if self.delivered_at is None else self.delivered_at <= self.deadline

    @property
    def outcome(self) -> str:
        """drafted, queued, failed, delivered_on_time, delivered_late, acknowledged."""
        if self.status == self.Status.ACKNOWLEDGED:
            return "acknowledged"
        if self.status == self.Status.DELIVERED:
            return "delivered_on_time" if self.on_time else "delivered_late"
        return self.status

    @property
    def status_label(self) -> str:
        timing = "" if self.on_time is None else (" (delivered on time)" if self.on_time else " (delivered late)")
        return {
            "acknowledged": f"Acknowledged{timing}",
            "delivered_on_time": "Delivered on time",
            "delivered_late": "Delivered late",
            "queued": "Queued, not yet delivered",
            "failed": "Delivery failed",
            "drafted": "Not sent",
        }[self.outcome]

    @property
    def margin(self):
        """Time left before the deadline when delivered (negative when late); None while undelivered."""
        return None if self.delivered_at is None else self.deadline - self.delivered_at


class BreachFollowUp(BaseModel):
    """A numbered update on a notification already sent (phased notification), delivered like the notice."""

    Status = DeliveryStatus

    notification = models.ForeignKey(BreachNotification, on_delete=models.PROTECT, related_name="followups")
    number = models.PositiveSmallIntegerField()
    message = models.TextField(blank=True)
    contents = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True)
    queued_at = models.DateTimeField()
    queued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    email = models.ForeignKey(
        "delivery.OutboundEmail", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    delivered_at = models.DateTimeField(null=True, blank=True)
    delivered_message_id = models.CharField(max_length=255, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.TextField(blank=True)

    class Meta(BaseModel.Meta):
        ordering = ("notification_id", "number")
        triggers = [
            Refuse(
                name="breach_followup_delivery_fixed",
                operation=pgtrigger.Update,
                condition=pgtrigger.Condition(
                    'OLD."delivered_at" IS NOT NULL AND (NEW."delivered_at", NEW."delivered_message_id") '
                    'IS DISTINCT FROM (OLD."delivered_at", OLD."delivered_message_id")'
                ),
                message="breach follow-up %: a recorded delivery (time and Message-ID) cannot change.",
                args=("OLD.id",),
                hint="The delivery is evidence of notice; send a follow-up instead.",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=("notification", "number"), name="uniq_breach_followup_number"),
            models.CheckConstraint(
                condition=Q(status__in=(DeliveryStatus.QUEUED, DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)),
                name="breach_followup_status",
            ),
            models.CheckConstraint(
                condition=Q(status=DeliveryStatus.DELIVERED, delivered_at__isnull=False) & ~Q(delivered_message_id="")
                | (~Q(status=DeliveryStatus.DELIVERED) & Q(delivered_at__isnull=True)),
                name="breach_followup_delivered_has_time_and_message_id",
            ),
            models.CheckConstraint(
                condition=~Q(status=DeliveryStatus.FAILED) | Q(failed_at__isnull=False),
                name="breach_followup_failed_has_time",
            ),
        ]

    def __str__(self):
        return f"Update {self.number} on {self.notification}"
