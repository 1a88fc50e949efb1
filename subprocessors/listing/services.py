"""Writing the sub-processor list. Every create or update writes a SubprocessorRevision (the history the public
"Last updated" date and the History page come from) and an audit event, in one transaction."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from portal.audit.services import Actor
from portal.core.errors import ApplicationError
from portal.deadlines.calendar import local_date
from subprocessors.listing import events
from subprocessors.listing.cache import invalidate_public_list
from subprocessors.listing.models import INTERNAL_FIELDS, SNAPSHOT_FIELDS, Subprocessor, SubprocessorRevision

NOTICE_REQUIRED = (
    "Adding or replacing a processor of customer data needs a change notice to customers at least 10 business "
    "days ahead. Schedule it as a sub-processor change instead of editing the list directly."
)

SLUG_RESERVED = "“new” is reserved; choose another slug."
SLUG_UNCHANGEABLE = "The slug is part of the public URL and API; it cannot be changed."
SLUG_FROM_NAME_EMPTY = "Give a slug: none can be made from this name (use letters or digits)."
RESERVED_SLUGS = frozenset({"new"})

# On an active processor of customer data, changing these amounts to replacing the processor.
IDENTITY_FIELDS = ("legal_entity", "category", "hq_country", "processing_region")
# Flags whose change in this direction makes the processing less protective (value = the protective one).
PROTECTIVE_FLAGS = {
    "processes_customer_data": False,
    "eea_only": True,
    "retains_prompts": False,
    "trains_on_data": False,
}


def _json(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def subprocessor_snapshot(subprocessor: Subprocessor) -> dict:
    return {field: _json(getattr(subprocessor, field)) for field in SNAPSHOT_FIELDS}


def _actor_fields(actor) -> dict:
    if isinstance(actor, Actor):
        return {"actor": actor.user, "actor_label": actor.label}
    if actor is not None and getattr(actor, "is_authenticated", False):
        return {"actor": actor, "actor_label": actor.email}
    return {"actor": None, "actor_label": "system"}


def _record(
    *, subprocessor, before: dict, after: dict, kind: str, actor, at, note: str, request
) -> SubprocessorRevision:
    changed = sorted(k for k in after if before.get(k) != after.get(k))
    revision = SubprocessorRevision.objects.create(
        subprocessor=subprocessor,
        changed_at=at,
        kind=kind,
        changed_fields=changed,
        before={k: before.get(k) for k in changed},
        snapshot=after,
        public=(before.get("status") == Subprocessor.Status.ACTIVE or after["status"] == Subprocessor.Status.ACTIVE)
        and not (changed and set(changed) <= INTERNAL_FIELDS),
        note=note[:300],
        **_actor_fields(actor),
    )
    events.subprocessor_revised(revision=revision, created=not before, note=note, actor=actor, request=request)
    invalidate_public_list()
    return revision


def _kind(before_status: str | None, after_status: str) -> str:
    active = Subprocessor.Status.ACTIVE
    if after_status == active and before_status != active:
        return SubprocessorRevision.Kind.ADDED
    if before_status == active and after_status == Subprocessor.Status.RETIRED:
        return SubprocessorRevision.Kind.RETIRED
    return SubprocessorRevision.Kind.CHANGED


def _fill_dates(sp: Subprocessor, before_status: str | None, at: dt.datetime) -> None:
    if sp.status == Subprocessor.Status.ACTIVE and before_status != Subprocessor.Status.ACTIVE:
        sp.engaged_since = sp.engaged_since or local_date(at)
        sp.retired_on = None
    if sp.status == Subprocessor.Status.RETIRED and not sp.retired_on:
        sp.retired_on = local_date(at)


def _needs_notice(before: Subprocessor | None, after: Subprocessor) -> bool:
    """True when the write adds or replaces an active processor of customer data."""
    if after.status != Subprocessor.Status.ACTIVE or not after.handles_customer_data:
        return False
    if before is None or before.status != Subprocessor.Status.ACTIVE or not before.handles_customer_data:
        return True  # a new, re-activated or newly customer-data processor
    if any(getattr(before, f) != getattr(after, f) for f in IDENTITY_FIELDS):
        return True
    return any(getattr(before, f) == safe and getattr(after, f) != safe for f, safe in PROTECTIVE_FLAGS.items())


def subprocessor_slug_for(name: str) -> str:
    """A free slug made from `name` ("Mistral AI" → "mistral-ai", then "mistral-ai-2", …)."""
    max_length = Subprocessor._meta.get_field("slug").max_length or 80
    base = slugify(name)[: max_length - 4].strip("-")
    if not base:
        raise ApplicationError(SLUG_FROM_NAME_EMPTY, field="slug")
    taken = set(Subprocessor.objects.filter(slug__startswith=base).values_list("slug", flat=True)) | RESERVED_SLUGS
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def subprocessor_create(
    *, data: dict, actor, request=None, at: dt.datetime | None = None, note: str = "", authorised_by: str = ""
) -> Subprocessor:
    """Create a row and its first revision.

    An active processor of customer data can only be added through a change notice (subprocessors.changes) or the
    initial load of the list: pass `authorised_by` (e.g. "change notice 12") to record what allowed it."""
    at = at or timezone.now()
    if data.get("slug") in RESERVED_SLUGS:
        raise ApplicationError(SLUG_RESERVED, field="slug")
    sp = Subprocessor(**data)
    _fill_dates(sp, None, at)
    sp.full_clean()
    if _needs_notice(None, sp) and not authorised_by:
        raise ApplicationError(NOTICE_REQUIRED)
    sp.save()
    _record(
        subprocessor=sp,
        before={},
        after=subprocessor_snapshot(sp),
        kind=_kind(None, sp.status) if sp.status != Subprocessor.Status.PROPOSED else SubprocessorRevision.Kind.CHANGED,
        actor=actor,
        at=at,
        note=note or authorised_by,
        request=request,
    )
    return sp


@transaction.atomic
def subprocessor_update(
    *,
    subprocessor: Subprocessor,
    data: dict,
    actor,
    request=None,
    at: dt.datetime | None = None,
    note: str = "",
    authorised_by: str = "",
) -> Subprocessor:
    """Change fields of a row and record which fields changed, by whom and when.

    Text corrections on active rows are always allowed; adding or replacing a processor of customer data
    (activating one, changing its entity, HQ, region or category, or weakening its safeguards) needs
    `authorised_by` (the change-notice flow). A call that changes nothing records nothing."""
    at = at or timezone.now()
    current = Subprocessor.objects.select_for_update().get(pk=subprocessor.pk)
    before_obj = Subprocessor(**{f.attname: getattr(current, f.attname) for f in Subprocessor._meta.concrete_fields})
    before = subprocessor_snapshot(current)
    unknown = set(data) - set(SNAPSHOT_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown field(s): {', '.join(sorted(unknown))}.")
    for field, value in data.items():
        setattr(current, field, value)
    _fill_dates(current, before["status"], at)
    current.full_clean()
    if _needs_notice(before_obj, current) and not authorised_by:
        raise ApplicationError(NOTICE_REQUIRED)
    after = subprocessor_snapshot(current)
    if after == before:
        return current  # nothing to record
    current.save()
    _record(
        subprocessor=current,
        before=before,
        after=after,
        kind=_kind(before["status"], after["status"]),
        actor=actor,
        at=at,
        note=note or authorised_by,
        request=request,
    )
    subprocessor.__dict__.update(current.__dict__)
    return current
