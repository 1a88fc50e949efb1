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
