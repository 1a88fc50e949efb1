"""Audit events of the sub-processor list: each revision of an entry."""

import datetime as dt
import hashlib

from django.http import HttpRequest

from portal.audit.event_types import AuditEventType, event_type
from portal.audit.models import AuditEvent
from portal.audit.services import Actor, AuditActor, audit_record
from subprocessors.listing.models import SubprocessorRevision, Subscriber

SUBPROCESSOR_CREATED = event_type("subprocessor.created", "Sub-processor entry created")
SUBPROCESSOR_ADDED = event_type("subprocessor.added", "Sub-processor added to the list")
SUBPROCESSOR_CHANGED = event_type("subprocessor.changed", "Sub-processor entry changed")
SUBPROCESSOR_RETIRED = event_type("subprocessor.retired", "Sub-processor removed from the list")


_BY_KIND: dict[str, AuditEventType] = {
    SubprocessorRevision.Kind.ADDED: SUBPROCESSOR_ADDED,
    SubprocessorRevision.Kind.CHANGED: SUBPROCESSOR_CHANGED,
    SubprocessorRevision.Kind.RETIRED: SUBPROCESSOR_RETIRED,
}


def subprocessor_revised(
    *, revision: SubprocessorRevision, created: bool, note: str, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    """A new entry (`created`) or a revision of its kind (added, changed, retired); `note` as staff typed it (the
    revision keeps its first 300 characters)."""
    kind = SUBPROCESSOR_CREATED if created else _BY_KIND[revision.kind]
    return audit_record(
        action=kind.action,
        actor=actor,
        target=revision.subprocessor,
        request=request,
        details={
            "slug": revision.subprocessor.slug,
            "before": revision.before,
            "after": {k: revision.snapshot[k] for k in revision.changed_fields},
            **({"note": note} if note else {}),
        },
    )


SUBSCRIBER_REQUESTED = event_type("subscriber.requested", "List subscription requested")
SUBSCRIBER_CONFIRMED = event_type("subscriber.confirmed", "List subscription confirmed")
SUBSCRIBER_UNSUBSCRIBED = event_type("subscriber.unsubscribed", "List subscriber unsubscribed")
SUBSCRIBERS_PURGED = event_type("subscriber.purged", "Unconfirmed list subscriptions purged")


def subscriber_actor(subscriber: Subscriber) -> Actor:
    return Actor(label=f"subscriber {hashlib.sha256(subscriber.email.lower().encode()).hexdigest()[:16]}")


def subscriber_requested(*, subscriber: Subscriber, request: HttpRequest | None = None) -> AuditEvent:
    return audit_record(
        action=SUBSCRIBER_REQUESTED.action, actor=subscriber_actor(subscriber), target=subscriber, request=request
    )


def subscriber_confirmed(*, subscriber: Subscriber, request: HttpRequest | None = None) -> AuditEvent:
    return audit_record(
        action=SUBSCRIBER_CONFIRMED.action, actor=subscriber_actor(subscriber), target=subscriber, request=request
    )


def subscriber_unsubscribed(*, subscriber: Subscriber, request: HttpRequest | None = None) -> AuditEvent:
    return audit_record(
        action=SUBSCRIBER_UNSUBSCRIBED.action, actor=subscriber_actor(subscriber), target=subscriber, request=request
    )


def subscribers_purged(*, count: int, created_before: dt.datetime) -> AuditEvent:
    """`created_before`: the cutoff before which pending subscriptions were deleted."""
    return audit_record(
        action=SUBSCRIBERS_PURGED.action, details={"count": count, "created_before": created_before.isoformat()}
    )
