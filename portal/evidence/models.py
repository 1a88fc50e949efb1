import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from portal.audit.models import AppendOnlyError, AppendOnlyQuerySet


class IssuedReportQuerySet(AppendOnlyQuerySet):
    noun = "Issued reports"


class IssuedReport(models.Model):
    """One evidence PDF as the portal issued it: the exact bytes (signed, when signing is configured) are kept in
    the default storage under `path`, and their SHA-256 lets the verification page say what a file someone shows
    us is ("the proof-of-notice report of change X issued on … by …"). Append-only, like the audit log."""

    class Kind(models.TextChoices):
        NOTICE_PROOF = "notice_proof", "Proof-of-notice report"
        DPA_REGISTER = "dpa_register", "Signed-DPA register"
        BREACH_REPORT = "breach_report", "Breach compliance report"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    # What the report is about (model label and primary key); empty for the register, which covers every DPA.
    subject_type = models.CharField(max_length=80, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    label = models.CharField(max_length=300)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveIntegerField()
    path = models.CharField(max_length=300)
    signed = models.BooleanField(help_text="A PAdES signature was applied when the report was issued.")
    issued_at = models.DateTimeField(db_index=True)
    # Kept as id + label (like the audit log) so that deleting a user never rewrites what was issued.
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    issued_by_label = models.CharField(max_length=254)

    objects = IssuedReportQuerySet.as_manager()

    class Meta:
        ordering = ("-issued_at", "-id")
        get_latest_by = "issued_at"
        indexes = [models.Index(fields=("subject_type", "subject_id"))]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.label} ({self.issued_at:%Y-%m-%d %H:%M})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Issued reports cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Issued reports cannot be deleted.")

    @property
    def description(self) -> str:
        """What the verification page says about a file with this hash."""

        kind = self.get_kind_display()
        at = timezone.localtime(self.issued_at)
        return (
            f"This is the {kind[0].lower()}{kind[1:]} of {self.label}, "
            f"issued on {at:%-d %B %Y at %H:%M %Z} by {self.issued_by_label}."
        )


class PreparedFile(models.Model):
    """A file rendered by a worker instead of inside a web request (PDFs take seconds to minutes to lay out).

    One row per `kind` and `key`, where the key names the version of the content (the list version and the local
    day for the public snapshot, an incident's state for its breach report…): a new version is a new row, the same
    version is rendered once however many people ask at the same time (the unique constraint is the lock). The
    row's task renders it, stores the bytes under a name never reused (or points at the issued report it became),
    and marks it ready; until then the download URL answers "being prepared"."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a worker"
        RENDERING = "rendering", "Being rendered"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=40)
    key = models.CharField(max_length=200, help_text="Which version of the content this file is.")
    label = models.CharField(max_length=300, blank=True)
    # The Celery task (by name) that renders it, and its arguments after the row's id: what the sweep re-sends.
    task_name = models.CharField(max_length=200)
    task_args = models.JSONField(default=list, blank=True)
    # Who besides legal staff with this permission may retry a failed render ("" = any legal staff).
    permission = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    path = models.CharField(max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    issued_report = models.ForeignKey(
        IssuedReport, on_delete=models.PROTECT, null=True, blank=True, related_name="prepared_files"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_by_label = models.CharField(max_length=254, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    render_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [models.UniqueConstraint(fields=("kind", "key"), name="prepared_file_kind_key_unique")]
        indexes = [models.Index(fields=("status", "next_attempt_at"), name="prepared_file_status_idx")]

    def __str__(self):
        return f"{self.kind} {self.key} ({self.status})"

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY

    @property
    def is_failed(self) -> bool:
        return self.status == self.Status.FAILED
