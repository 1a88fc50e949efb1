import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from portal.errors import ApplicationError
from portal.models import BaseModel

VERSION_IMMUTABLE = "Version {label} is {status}: its text can no longer be changed. Draft a new version instead."

# What a published version may never change. Status may still move published → superseded.
CONTENT_FIELDS = ("label", "title", "body", "change_summary", "effective_date")


class DpaVersionQuerySet(models.QuerySet):
    def update(self, **kwargs):
        # Bulk updates bypass save(); refuse them when they touch the text of a non-draft version.
        if set(kwargs) & set(CONTENT_FIELDS) and self.exclude(status=DpaVersion.Status.DRAFT).exists():
            raise ApplicationError("Published DPA versions cannot be changed.")
        return super().update(**kwargs)

    def published(self):
        return self.filter(status__in=(DpaVersion.Status.PUBLISHED, DpaVersion.Status.SUPERSEDED))


class DpaVersion(BaseModel):
    """One version of the processor's DPA. Drafts are editable; published and superseded ones are frozen."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        SUPERSEDED = "superseded", "Superseded"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    label = models.CharField(
        "version label",
        max_length=40,
        unique=True,
        validators=[
            RegexValidator(r"^[0-9A-Za-z][0-9A-Za-z.\-]*$", "Use letters, digits, dots and hyphens only, e.g. 2026.1.")
        ],
        help_text="Short and stable, used in links, e.g. 2026.1.",
    )
    title = models.CharField(max_length=200, default="Data Processing Agreement")
    body = models.TextField(
        help_text="Markdown. Each '## Heading' starts a clause (numbered automatically); headings starting with "
        "'Annex' are annexes. Numbered lists inside a clause become sub-clauses (3.1, 3.2, ...)."
    )
    change_summary = models.TextField(help_text="What changed compared with the previous version, in plain words.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True)
    effective_date = models.DateField(help_text="The Annex 1 sub-processor list is the list as it stood on this date.")
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    superseded_at = models.DateTimeField(null=True, blank=True)

    objects = DpaVersionQuerySet.as_manager()

    class Meta(BaseModel.Meta):
        ordering = ("-effective_date", "-created_at")
        permissions = [("publish_dpaversion", "Can publish a DPA version")]
        constraints = [
            models.UniqueConstraint(
                fields=("status",), condition=models.Q(status="published"), name="dpa_one_published_version"
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(published_at__isnull=False),
                name="dpa_version_published_has_time",
            ),
        ]

    def __str__(self):
        return f"DPA {self.label} ({self.get_status_display().lower()})"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    def save(self, *args, **kwargs):
        # The one rule kept in the model: a frozen version's text never changes, whoever calls save().
        if self.pk is not None:
            stored = DpaVersion.objects.filter(pk=self.pk).values("status", *CONTENT_FIELDS).first()
            if stored and stored["status"] != self.Status.DRAFT:
                changed = [f for f in CONTENT_FIELDS if stored[f] != getattr(self, f)]
                if changed:
                    raise ApplicationError(
                        VERSION_IMMUTABLE.format(label=stored["label"], status=stored["status"]), extra={}
                    )
                if self.status == self.Status.DRAFT:
                    raise ApplicationError("A published version cannot go back to draft.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if not self.is_draft:
            raise ApplicationError(VERSION_IMMUTABLE.format(label=self.label, status=self.status))
        return super().delete(*args, **kwargs)
