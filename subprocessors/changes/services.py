"""Sub-processor changes: schedule, announce (10 business days ahead), withdraw, make effective (or hold).

Postponement, alternate contacts and the notice rule that can hold a change live in `services/notices.py`."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from portal.core.errors import ApplicationError
from portal.deadlines.calendar import local_date
from subprocessors.changes import enqueue, events
from subprocessors.changes.models import SubprocessorChange
from subprocessors.changes.notices import change_hold, change_notice_complete, change_notice_deadline_set
from subprocessors.changes.signals import change_event_send
from subprocessors.changes.windows import KINDS_NEEDING_NOTICE, earliest_effective_date, notice_deadline
from subprocessors.listing.cache import invalidate_public_list
from subprocessors.listing.models import Subprocessor
from subprocessors.listing.services import subprocessor_create, subprocessor_update

CHANGE_DATE_TOO_EARLY = (
    "The effective date must be on or after {earliest:%A %d %B %Y}: changes that add or replace a sub-processor "
    "need at least 10 business days' notice."
)
CHANGE_NOT_DRAFT = "Only a draft change can be edited or announced."
CHANGE_NOT_ANNOUNCED = "Only an announced or held change can be withdrawn."
CHANGE_NEEDS_LEGAL_ENTITY = (
    "Enter the legal entity of {name} before announcing: customers need it to assess and object to the change."
)
CHANGE_ADD_NEEDS_PROPOSED = "A new sub-processor must be a proposed row (not yet active or retired)."
CHANGE_REPLACE_NEEDS_BOTH = "A replacement names the new sub-processor and the active one it replaces."
CHANGE_REMOVE_NEEDS_ACTIVE = "Only an active sub-processor can be removed or modified."
CHANGE_WITHDRAW_REASON = "Say why the change is withdrawn; customers and subscribers receive this text."
CHANGE_OPEN_EXISTS = "{name} already has a scheduled change; withdraw it or wait until it takes effect."


def _validate_parties(*, kind: str, subprocessor: Subprocessor, replaces: Subprocessor | None) -> None:
    active = Subprocessor.Status.ACTIVE
    if kind == SubprocessorChange.Kind.ADD and subprocessor.status != Subprocessor.Status.PROPOSED:
        raise ApplicationError(CHANGE_ADD_NEEDS_PROPOSED, field="subprocessor")
    if kind == SubprocessorChange.Kind.REPLACE:
        if subprocessor.status != Subprocessor.Status.PROPOSED:
            raise ApplicationError(CHANGE_ADD_NEEDS_PROPOSED, field="subprocessor")
        if replaces is None or replaces.status != active or replaces.pk == subprocessor.pk:
            raise ApplicationError(CHANGE_REPLACE_NEEDS_BOTH, field="replaces")
    if kind in (SubprocessorChange.Kind.REMOVE, SubprocessorChange.Kind.MODIFY) and subprocessor.status != active:
        raise ApplicationError(CHANGE_REMOVE_NEEDS_ACTIVE, field="subprocessor")
    busy = SubprocessorChange.objects.filter(
        subprocessor=subprocessor,
        status__in=(
            SubprocessorChange.Status.DRAFT,
            SubprocessorChange.Status.ANNOUNCED,
            SubprocessorChange.Status.HELD,
        ),
    )
    if busy.exists():
        raise ApplicationError(CHANGE_OPEN_EXISTS.format(name=subprocessor.name), field="subprocessor")


@transaction.atomic
def change_create(
    *,
    kind: str,
    subprocessor: Subprocessor,
    reason: str,
    effective_date: dt.date,
    actor,
    replaces: Subprocessor | None = None,
    modification: str = "",
    request=None,
) -> SubprocessorChange:
    _validate_parties(kind=kind, subprocessor=subprocessor, replaces=replaces)
    change = SubprocessorChange(
        kind=kind,
        subprocessor=subprocessor,
        replaces=replaces if kind == SubprocessorChange.Kind.REPLACE else None,
        modification=modification.strip(),
        reason=reason.strip(),
        effective_date=effective_date,
        created_by=getattr(actor, "pk", None) and actor,
    )
    change.full_clean()
    change.save()
    events.change_created(change=change, actor=actor, request=request)
    return change


@transaction.atomic
def change_create_with_subprocessor(*, subprocessor_data: dict, actor, request=None, **change) -> SubprocessorChange:
    """An addition or replacement together with the proposed row it brings, in one transaction."""

    subprocessor = subprocessor_create(
        data={**subprocessor_data, "status": Subprocessor.Status.PROPOSED}, actor=actor, request=request
    )
    return change_create(subprocessor=subprocessor, actor=actor, request=request, **change)


def _draft(change: SubprocessorChange) -> SubprocessorChange:
    change = SubprocessorChange.objects.select_for_update(of=("self",)).select_related("subprocessor").get(pk=change.pk)
    if change.status != SubprocessorChange.Status.DRAFT:
        raise ApplicationError(CHANGE_NOT_DRAFT)
    return change


@transaction.atomic
def change_update(
    *, change: SubprocessorChange, reason: str, effective_date: dt.date, modification: str = "", actor, request=None
) -> SubprocessorChange:
    """Edit a draft's wording and planned date; once announced, a change can only be withdrawn."""
    change = _draft(change)
    if not reason.strip():
        raise ApplicationError("Give the reason customers will read.", field="reason")
    before = events.change_snapshot(change)
    change.reason, change.modification, change.effective_date = reason.strip(), modification.strip(), effective_date
    change.full_clean()
    change.save(update_fields=["reason", "modification", "effective_date", "updated_at"])
    events.change_updated(change=change, before=before, actor=actor, request=request)
    return change


@transaction.atomic
def change_delete(*, change: SubprocessorChange, actor, request=None) -> None:
    """Delete a draft nobody was told about. A proposed row created for it stays, for a later change."""
    change = _draft(change)
    events.change_deleted(change=change, actor=actor, request=request)
    change.delete()


@transaction.atomic
def change_announce(
    *, change: SubprocessorChange, effective_date: dt.date | None, actor, request=None, now: dt.datetime | None = None
) -> SubprocessorChange:
    """Announce a draft: checks the notice period, commits, then the fan-out task notifies every recipient."""
    now = now or timezone.now()
    change = (
        SubprocessorChange.objects.select_for_update(of=("self",))
        .select_related("subprocessor", "replaces")
        .get(pk=change.pk)
    )
    if change.status != SubprocessorChange.Status.DRAFT:
        raise ApplicationError(CHANGE_NOT_DRAFT)
    if change.kind in KINDS_NEEDING_NOTICE and not change.subprocessor.legal_entity.strip():
        raise ApplicationError(CHANGE_NEEDS_LEGAL_ENTITY.format(name=change.subprocessor.name))
    effective_date = effective_date or change.effective_date
    earliest = earliest_effective_date(change.kind, now)
    if effective_date < earliest:
        raise ApplicationError(
            CHANGE_DATE_TOO_EARLY.format(earliest=earliest)
            if change.kind in KINDS_NEEDING_NOTICE
            else f"The effective date cannot be before today ({earliest:%d %B %Y}).",
            field="effective_date",
            extra={"earliest_effective_date": earliest.isoformat()},
        )
    before = events.change_snapshot(change)
    change.effective_date = effective_date
    change.notice_deadline_at = notice_deadline(effective_date)
    change.status = SubprocessorChange.Status.ANNOUNCED
    change.announced_at = now
    change.save(update_fields=["effective_date", "notice_deadline_at", "status", "announced_at", "updated_at"])
    events.change_announced(change=change, before=before, actor=actor, request=request)
    transaction.on_commit(invalidate_public_list)
    enqueue.change_fanout(change.pk, "announce")
    return change


@transaction.atomic
def change_withdraw(
    *, change: SubprocessorChange, reason: str, actor, request=None, now: dt.datetime | None = None
) -> SubprocessorChange:
    """Withdraw an announced or held change; everyone who received the announcement or a postponement is told."""

    now = now or timezone.now()
    change = (
        SubprocessorChange.objects.select_for_update(of=("self",))
        .select_related("subprocessor", "replaces")
        .get(pk=change.pk)
    )
    if change.status not in (SubprocessorChange.Status.ANNOUNCED, SubprocessorChange.Status.HELD):
        raise ApplicationError(CHANGE_NOT_ANNOUNCED)
    if not reason.strip():
        raise ApplicationError(CHANGE_WITHDRAW_REASON, field="reason")
    before = change.status
    change.status = SubprocessorChange.Status.WITHDRAWN
    change.withdrawn_at = now
    change.withdrawal_reason = reason.strip()
    change.save(update_fields=["status", "withdrawn_at", "withdrawal_reason", "updated_at"])
    events.change_withdrawn(change=change, before_status=before, actor=actor, request=request)
    change_event_send(change=change, event="subprocessor_change.withdrawn")
    transaction.on_commit(invalidate_public_list)
    enqueue.change_fanout(change.pk, "withdraw")
    return change


@transaction.atomic
def change_make_effective(*, change: SubprocessorChange, now: dt.datetime | None = None) -> bool:
    """Apply a due announced change to the list, or hold it when an enterprise customer had no notice delivered
    10 business days before its date (see services/notices.py). A held change takes effect once the check passes
    (e.g. the organisation left the enterprise plan); otherwise legal staff postpone or withdraw it.

    Idempotent: returns True only when the change took effect now."""

    now = now or timezone.now()
    change = (
        SubprocessorChange.objects.select_for_update(of=("self",))
        .select_related("subprocessor", "replaces")
        .get(pk=change.pk)
    )
    pending = (SubprocessorChange.Status.ANNOUNCED, SubprocessorChange.Status.HELD)
    if change.status not in pending or change.effective_date > local_date(now):
        return False
    change_notice_deadline_set(change)
    # Announced or held: both times are set (announced_at by the model's constraint, the deadline just above).
    assert change.announced_at is not None
    assert change.notice_deadline_at is not None
    if not change_notice_complete(change):
        if change.status == SubprocessorChange.Status.ANNOUNCED:
            change_hold(change=change, now=now)
        return False
    was = change.status
    actor = events.TAKES_EFFECT
    note = f"Sub-processor change {change.pk} took effect"
    authorised_by = f"change notice {change.pk}, announced {change.announced_at:%Y-%m-%d}"
    at = max(now, change.announced_at)
    # A change held past its date is engaged on the day its hold lifts, and the record says so.
    day = change.effective_date if was == SubprocessorChange.Status.ANNOUNCED else local_date(now)
    if change.kind in (SubprocessorChange.Kind.ADD, SubprocessorChange.Kind.REPLACE):
        subprocessor_update(
            subprocessor=change.subprocessor,
            data={"status": Subprocessor.Status.ACTIVE, "engaged_since": day, "retired_on": None},
            actor=actor,
            at=at,
            note=note,
            authorised_by=authorised_by,
        )
    retire = change.replaces if change.kind == SubprocessorChange.Kind.REPLACE else None
    if change.kind == SubprocessorChange.Kind.REMOVE:
        retire = change.subprocessor
    if retire is not None and retire.status != Subprocessor.Status.RETIRED:
        subprocessor_update(
            subprocessor=retire,
            data={"status": Subprocessor.Status.RETIRED, "retired_on": day},
            actor=actor,
            at=at,
            note=note,
            authorised_by=authorised_by,
        )
    change.status = SubprocessorChange.Status.EFFECTIVE
    change.effective_at = now
    change.save(update_fields=["status", "effective_at", "updated_at"])
    events.change_effective(change=change, before_status=was)
    change_event_send(change=change, event="subprocessor_change.effective")
    transaction.on_commit(invalidate_public_list)
    return True
