import uuid

from django.conf import settings
from django.db import models

from portal.core.models import BaseModel


class Obligation(BaseModel):
    """A dated duty towards one customer organisation, with its due time computed by rule (see
    portal.deadlines.obligations.obligation_due_at)."""

    class Kind(models.TextChoices):
        BREACH_NOTIFICATION = "breach_notification", "Breach notification (48 hours)"
        DISCLOSURE_ORDER = "disclosure_order", "Third-party disclosure order (5 business days)"
        DATA_SUBJECT_REQUEST = "data_subject_request", "Data-subject request received directly (5 business days)"
        DELETION_AFTER_TERMINATION = "deletion_after_termination", "Deletion after termination (30 days)"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        COMPLETED = "completed", "Completed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=40, choices=Kind.choices, db_index=True)
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="obligations")
    title = models.CharField(max_length=200)
    details = models.TextField(blank=True)
    # What created it, e.g. "objections.Objection:12" or "breaches.BreachNotification:3"; one obligation per source.
    source = models.CharField(max_length=120, blank=True)
    received_at = models.DateTimeField(help_text="When the order, request or trigger reached us; the clock starts.")
    due_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    evidence = models.TextField(blank=True)
    evidence_file = models.FileField(upload_to="obligations/evidence/%Y/%m/", blank=True, max_length=255)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta(BaseModel.Meta):
        ordering = ("due_at", "id")
        constraints = [
            models.UniqueConstraint(
                fields=("kind", "organisation", "source"),
                condition=~models.Q(source=""),
                name="uniq_obligation_source",
            ),
            models.CheckConstraint(
                condition=models.Q(status="open", completed_at__isnull=True)
                | models.Q(status="completed", completed_at__isnull=False),
                name="obligation_completed_has_time",
            ),
        ]
        indexes = [models.Index(fields=("status", "due_at"))]
        permissions = [("complete_obligation", "Can complete an obligation")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.title} ({self.organisation})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class ObligationReminder(models.Model):
    """One reminder stage sent for one obligation. The unique constraint is what makes each stage go out
    once, whatever the number of beat ticks, retries or workers."""

    class Stage(models.TextChoices):
        H24 = "24h", "24 hours before"
        H12 = "12h", "12 hours before"
        H4 = "4h", "4 hours before"
        H1 = "1h", "1 hour before"
        OVERDUE = "overdue", "Overdue"

    obligation = models.ForeignKey(Obligation, on_delete=models.CASCADE, related_name="reminders")
    stage = models.CharField(max_length=10, choices=Stage.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    recipients = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ("obligation_id", "created_at")
        constraints = [models.UniqueConstraint(fields=("obligation", "stage"), name="uniq_obligation_reminder")]

    def __str__(self):
        return f"{self.obligation_id}: {self.stage}"
