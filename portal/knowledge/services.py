"""Writes of the security FAQ. Every create and change of an entry saves a numbered revision (the history page
shows each version) and records an audit event in the same transaction."""

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from portal.core.errors import ApplicationError
from portal.knowledge import events
from portal.knowledge.models import Entry, EntryRevision, Topic

TOPIC_SLUG_TAKEN = "Another topic already uses this slug; choose another."
TOPIC_NAME_EMPTY = "Enter the topic's name."
TOPIC_SLUG_EMPTY = "The name gives no usable slug (letters or digits); enter a slug."
ENTRY_FIELDS = ("topic", "question", "answer", "visibility", "status", "order")
TOPIC_FIELDS = ("name", "slug", "order")


def topic_slug_for(name: str) -> str:
    return slugify(name)[:80].strip("-")


def _check_topic_slug(topic: Topic) -> None:
    if not topic.slug:
        raise ApplicationError(TOPIC_SLUG_EMPTY, field="slug")
    if Topic.objects.filter(slug=topic.slug).exclude(pk=topic.pk).exists():
        raise ApplicationError(TOPIC_SLUG_TAKEN, field="slug")


@transaction.atomic
def topic_create(*, name: str, actor, slug: str = "", order: int = 0, request=None) -> Topic:
    """A new topic; without a slug, one is made from the name."""
    name = (name or "").strip()
    if not name:
        raise ApplicationError(TOPIC_NAME_EMPTY, field="name")
    topic = Topic(name=name, slug=(slug or "").strip() or topic_slug_for(name), order=order)
    _check_topic_slug(topic)
    topic.full_clean()
    topic.save()
    events.topic_created(topic=topic, actor=actor, request=request)
    return topic


@transaction.atomic
def topic_update(*, topic: Topic, data: dict, actor, request=None) -> Topic:
    """Rename, re-slug or move a topic (`data`: any of name, slug, order). Nothing changed records nothing."""
    topic = Topic.objects.select_for_update().get(pk=topic.pk)
    fields = [f for f in TOPIC_FIELDS if f in data]
    before = {f: getattr(topic, f) for f in fields}
    for f in fields:
        value = data[f]
        setattr(topic, f, value.strip() if isinstance(value, str) else value)
    if "name" in fields and not topic.name:
        raise ApplicationError(TOPIC_NAME_EMPTY, field="name")
    _check_topic_slug(topic)
    topic.full_clean()
    changed = [f for f in fields if before[f] != getattr(topic, f)]
    if changed:
        topic.save()
        events.topic_updated(
            topic=topic,
            before={f: before[f] for f in changed},
            after={f: getattr(topic, f) for f in changed},
            actor=actor,
            request=request,
        )
    return topic


def _revision(*, entry: Entry, number: int, actor, note: str) -> EntryRevision:
    revision = EntryRevision(
        entry=entry,
        number=number,
        topic=entry.topic,
        question=entry.question,
        answer=entry.answer,
        visibility=entry.visibility,
        status=entry.status,
        edited_by=actor if getattr(actor, "is_authenticated", False) else None,
        edited_at=timezone.now(),
        note=(note or "").strip(),
    )
    revision.full_clean()
    revision.save()
    return revision


def _audit_value(field: str, value):
    return value.slug if field == "topic" else value


@transaction.atomic
def entry_create(
    *,
    topic: Topic,
    question: str,
    answer: str,
    actor,
    visibility: str = Entry.Visibility.PUBLIC,
    status: str = Entry.Status.DRAFT,
    order: int = 0,
    note: str = "",
    request=None,
) -> Entry:
    """A new entry (a draft unless `status` says published) and its first revision."""
    entry = Entry(
        topic=topic,
        question=(question or "").strip(),
        answer=(answer or "").strip(),
        visibility=visibility,
        status=status,
        order=order,
    )
    entry.full_clean()
    entry.save()
    revision = _revision(entry=entry, number=1, actor=actor, note=note or "Created")
    events.entry_created(entry=entry, revision=revision, actor=actor, request=request)
    return entry


@transaction.atomic
def entry_update(*, entry: Entry, data: dict, actor, note: str = "", request=None) -> Entry:
    """Change any of topic, question, answer, visibility, status, order. A change saves the next revision and
    records one event (published/unpublished when the status changed, else edited); no change records nothing."""
    entry = Entry.objects.select_for_update().select_related("topic").get(pk=entry.pk)
    fields = [f for f in ENTRY_FIELDS if f in data]
    before = {f: getattr(entry, f) for f in fields}
    for f in fields:
        value = data[f]
        setattr(entry, f, value.strip() if f in ("question", "answer") and isinstance(value, str) else value)
    entry.full_clean()
    changed = [f for f in fields if before[f] != getattr(entry, f)]
    if not changed:
        return entry
    entry.save()
    last = entry.revisions.order_by("-number").values_list("number", flat=True).first() or 0
    revision = _revision(entry=entry, number=last + 1, actor=actor, note=note)
    events.entry_changed(
        entry=entry,
        revision=revision,
        before={f: _audit_value(f, before[f]) for f in changed},
        after={f: _audit_value(f, getattr(entry, f)) for f in changed},
        actor=actor,
        request=request,
    )
    return entry


def entry_publish(*, entry: Entry, actor, note: str = "", request=None) -> Entry:
    return entry_update(
        entry=entry, data={"status": Entry.Status.PUBLISHED}, actor=actor, note=note or "Published", request=request
    )


def entry_unpublish(*, entry: Entry, actor, note: str = "", request=None) -> Entry:
    return entry_update(
        entry=entry, data={"status": Entry.Status.DRAFT}, actor=actor, note=note or "Unpublished", request=request
    )
