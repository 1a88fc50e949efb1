import uuid

import pgtrigger
from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from portal.audit.triggers import Refuse, RefuseTruncate
from portal.core.errors import ApplicationError
from portal.core.models import BaseModel

VERSION_IMMUTABLE = "Version {label} is {status}: its text can no longer be changed. Draft a new version instead."
VERSION_STATUS_FINAL = "Version {label} is {status}: a published version can only be superseded, never reopened."
VERSION_UNDELETABLE = "Version {label} is {status}: it cannot be deleted. Publish a new version to supersede it."

# What a draft may edit (and a published version may never change).
CONTENT_FIELDS = ("label", "title", "body", "change_summary", "effective_date")
# What never changes once published. Still allowed afterwards: status published → superseded, superseded_at set
# once (when superseded), published_by (SET_NULL when that user is deleted) and updated_at.
FROZEN_FIELDS = (*CONTENT_FIELDS, "public_id", "published_at", "created_at")
GUARDED_FIELDS = (*FROZEN_FIELDS, "status", "superseded_at")


def frozen_change_refusal(stored: dict, new: dict) -> str | None:
    """Why changing a stored version (values of GUARDED_FIELDS) to `new` (some of them) is refused, or None."""
    status = stored["status"]
    if status == DpaVersion.Status.DRAFT:
        return None
    label = stored["label"]
    if any(field in new and new[field] != stored[field] for field in FROZEN_FIELDS):
        return VERSION_IMMUTABLE.format(label=label, status=status)
    new_status = new.get("status", status)
    superseding = status == DpaVersion.Status.PUBLISHED and new_status == DpaVersion.Status.SUPERSEDED
    if new_status != status and not superseding:
        return VERSION_STATUS_FINAL.format(label=label, status=status)
    superseded_at = stored["superseded_at"]
    if superseded_at is not None and new.get("superseded_at", superseded_at) != superseded_at:
        return VERSION_IMMUTABLE.format(label=label, status=status)
    return None


class DpaVersionQuerySet(models.QuerySet):
    """Bulk operations bypass save() and delete(): they apply the same rules to every published row they touch."""

    def _stored_frozen(self, pks=None):
        rows = self if pks is None else self.model._default_manager.filter(pk__in=pks)
        return rows.exclude(status=DpaVersion.Status.DRAFT).values("pk", *GUARDED_FIELDS)

    def update(self, **kwargs):
        if set(kwargs) & set(GUARDED_FIELDS):
            for stored in self._stored_frozen():
                refusal = frozen_change_refusal(stored, kwargs)
                if refusal:
                    raise ApplicationError(refusal)
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        guarded = set(fields) & set(GUARDED_FIELDS)
        if guarded:
            by_pk = {obj.pk: obj for obj in objs}
            for stored in self._stored_frozen(pks=list(by_pk)):
                refusal = frozen_change_refusal(stored, {f: getattr(by_pk[stored["pk"]], f) for f in guarded})
                if refusal:
                    raise ApplicationError(refusal)
        return super().bulk_update(objs, fields, *args, **kwargs)

    def delete(self):
        stored = self._stored_frozen().first()
        if stored:
            raise ApplicationError(VERSION_UNDELETABLE.format(label=stored["label"], status=stored["status"]))
        return super().delete()

    def published(self):
        return self.filter(status__in=(DpaVersion.Status.PUBLISHED, DpaVersion.Status.SUPERSEDED))


_old_frozen = ", ".join(f"OLD.{f}" for f in (*FROZEN_FIELDS, "id"))
_new_frozen = ", ".join(f"NEW.{f}" for f in (*FROZEN_FIELDS, "id"))


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
        # The same rules in PostgreSQL, for raw SQL too (see portal/triggers.py).
        triggers = [
            Refuse(
                name="dpa_version_published_is_frozen",
                operation=pgtrigger.Update,
                condition=pgtrigger.Condition(
                    "OLD.status <> 'draft' AND ("
                    f"({_old_frozen}) IS DISTINCT FROM ({_new_frozen})"
                    " OR (NEW.status IS DISTINCT FROM OLD.status"
                    " AND NOT (OLD.status = 'published' AND NEW.status = 'superseded'))"
                    " OR (OLD.superseded_at IS NOT NULL AND NEW.superseded_at IS DISTINCT FROM OLD.superseded_at))"
                ),
                message="DPA version % is %: its text, dates and status can no longer be changed.",
                args=("OLD.label", "OLD.status"),
                hint="Draft and publish a new version instead; a published version may only become superseded.",
            ),
            Refuse(
                name="dpa_version_published_no_delete",
                operation=pgtrigger.Delete,
                condition=pgtrigger.Q(old__status__in=["published", "superseded"]),
                message="DPA version % is %: a published version cannot be deleted.",
                args=("OLD.label", "OLD.status"),
                hint="Publish a new version; the old one stays, marked superseded.",
            ),
            RefuseTruncate(
                name="dpa_version_no_truncate",
                protected="status <> 'draft'",
                message="% holds published DPA versions, which cannot be deleted.",
                args=("TG_TABLE_NAME",),
                hint="Publish a new version; the old one stays, marked superseded.",
            ),
        ]

    def __str__(self):
        return f"DPA {self.label} ({self.get_status_display().lower()})"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    def save(self, *args, **kwargs):
        # A frozen version's text never changes, whoever calls save(); only published → superseded is allowed.
        if self.pk is not None:
            stored = DpaVersion.objects.filter(pk=self.pk).values(*GUARDED_FIELDS).first()
            if stored:
                fields = kwargs.get("update_fields") or GUARDED_FIELDS
                new = {f: getattr(self, f) for f in GUARDED_FIELDS if f in fields}
                refusal = frozen_change_refusal(stored, new)
                if refusal:
                    raise ApplicationError(refusal)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if not self.is_draft:
            raise ApplicationError(VERSION_UNDELETABLE.format(label=self.label, status=self.status))
        return super().delete(*args, **kwargs)
