"""The security FAQ: topics, question-and-answer entries (public or behind NDA-level access, draft or published)
and the history of every version of an entry."""

import uuid

from django.conf import settings
from django.db import models

from portal.core.models import BaseModel


class Topic(BaseModel):
    """A group of entries on the FAQ page (encryption, access control, ...), shown by `order`, then name."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(
        max_length=80, help_text="Part of the page's address (#slug) and the API's topic filter. Made from the name."
    )
    order = models.PositiveIntegerField(default=0, help_text="Lower numbers come first.")

    class Meta(BaseModel.Meta):
        ordering = ("order", "name", "id")
        constraints = [models.UniqueConstraint(fields=("slug",), name="uniq_knowledge_topic_slug")]

    def __str__(self):
        return self.name


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public"
    NDA = "nda", "NDA-level access"


class EntryStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class Entry(BaseModel):
    """One question and its answer. Drafts are never shown outside the staff pages; an NDA-level answer is shown
    only to visitors who may open NDA-level documents (portal.trust.selectors.user_can_open)."""

    Visibility = Visibility
    Status = EntryStatus

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="entries")
    question = models.CharField(max_length=300)
    answer = models.TextField(max_length=10000)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    status = models.CharField(max_length=10, choices=EntryStatus.choices, default=EntryStatus.DRAFT, db_index=True)
    order = models.PositiveIntegerField(default=0, help_text="Position within its topic; lower numbers come first.")

    class Meta(BaseModel.Meta):
        ordering = ("topic__order", "topic__name", "order", "id")
        verbose_name_plural = "entries"

    def __str__(self):
        return self.question


class EntryRevision(BaseModel):
    """An entry as it was saved (number 1 on creation, then one per change), written by the services only."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="+")
    question = models.CharField(max_length=300)
    answer = models.TextField(max_length=10000)
    visibility = models.CharField(max_length=10, choices=Visibility.choices)
    status = models.CharField(max_length=10, choices=EntryStatus.choices)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    edited_at = models.DateTimeField()
    note = models.CharField(max_length=300, blank=True, help_text="What changed and why, in a few words.")

    class Meta(BaseModel.Meta):
        ordering = ("entry", "-number")
        constraints = [models.UniqueConstraint(fields=("entry", "number"), name="uniq_knowledge_entry_revision")]

    def __str__(self):
        return f"{self.entry_id} v{self.number}"
