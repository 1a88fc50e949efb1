"""Audit events of the security FAQ: topics, entries (created, edited, published, unpublished) and CSV exports."""

from django.http import HttpRequest

from portal.audit.event_types import event_type
from portal.audit.models import AuditEvent
from portal.audit.services import AuditActor, audit_record
from portal.knowledge.models import Entry, EntryRevision, Topic

TOPIC_CREATED = event_type("knowledge.topic_created", "FAQ topic created")
TOPIC_UPDATED = event_type("knowledge.topic_updated", "FAQ topic renamed or moved")
ENTRY_CREATED = event_type("knowledge.entry_created", "FAQ entry created")
ENTRY_UPDATED = event_type("knowledge.entry_updated", "FAQ entry edited")
ENTRY_PUBLISHED = event_type("knowledge.entry_published", "FAQ entry published")
ENTRY_UNPUBLISHED = event_type("knowledge.entry_unpublished", "FAQ entry unpublished")
FAQ_EXPORTED = event_type("knowledge.exported", "Security FAQ exported as CSV")


def topic_created(*, topic: Topic, actor: AuditActor, request: HttpRequest | None = None) -> AuditEvent:
    return audit_record(
        action=TOPIC_CREATED.action,
        actor=actor,
        target=topic,
        request=request,
        details={"name": topic.name, "slug": topic.slug, "order": topic.order},
    )


def topic_updated(
    *, topic: Topic, before: dict, after: dict, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    """`before`/`after`: the changed fields only."""
    return audit_record(
        action=TOPIC_UPDATED.action,
        actor=actor,
        target=topic,
        request=request,
        details={"slug": topic.slug, "before": before, "after": after},
    )


def entry_created(*, entry: Entry, revision: EntryRevision, actor: AuditActor, request=None) -> AuditEvent:
    return audit_record(
        action=ENTRY_CREATED.action,
        actor=actor,
        target=entry,
        request=request,
        details={
            "id": str(entry.public_id),
            "topic": entry.topic.slug,
            "question": entry.question,
            "visibility": entry.visibility,
            "status": entry.status,
            "revision": revision.number,
        },
    )


def entry_changed(
    *,
    entry: Entry,
    revision: EntryRevision,
    before: dict,
    after: dict,
    actor: AuditActor,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Published or unpublished when the status changed (with any other edits in the same save), else edited.
    `before`/`after`: the changed fields only (the topic by its slug)."""
    kind = ENTRY_UPDATED
    if "status" in after:
        kind = ENTRY_PUBLISHED if after["status"] == Entry.Status.PUBLISHED else ENTRY_UNPUBLISHED
    return audit_record(
        action=kind.action,
        actor=actor,
        target=entry,
        request=request,
        details={
            "id": str(entry.public_id),
            "question": entry.question,
            "revision": revision.number,
            "note": revision.note,
            "before": before,
            "after": after,
        },
    )


def faq_exported(*, user: AuditActor, rows: int, nda_answers: int, filters: dict, request=None) -> AuditEvent:
    """A signed-in visitor downloaded the CSV; `nda_answers`: how many NDA-level answers it contained."""
    return audit_record(
        action=FAQ_EXPORTED.action,
        actor=user,
        request=request,
        details={"rows": rows, "nda_answers": nda_answers, "filters": filters, "email": getattr(user, "email", "")},
    )
