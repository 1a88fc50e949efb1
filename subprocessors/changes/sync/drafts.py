"""Drafting the changes a sync file's differences call for, through the console's services and in the name of
a member of legal staff, so the drafts, rules and audit events are those of the console. Nothing is announced.

All or nothing: when a service refuses one difference (e.g. the sub-processor already has another open change),
every problem is collected and nothing is written. A difference whose change is already open (same kind) is
reported as such and not drafted again, so running the sync twice drafts nothing twice."""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from portal.core.errors import ApplicationError
from portal.core.permissions import is_legal
from subprocessors.changes.models import SubprocessorChange
from subprocessors.changes.services import change_create, change_create_with_subprocessor
from subprocessors.changes.sync.files import Problem, SyncInvalid
from subprocessors.changes.sync.plan import Difference, Kind, Plan, console_url
from subprocessors.changes.windows import earliest_effective_date
from subprocessors.listing.models import Subprocessor
from subprocessors.listing.services import subprocessor_update

DRAFT_PERMISSION = "changes.add_subprocessorchange"  # the console's "New change" page
EDIT_PERMISSION = "listing.change_subprocessor"  # the console's edit page of a sub-processor
ACTOR_REQUIRED = "--apply drafts changes in someone's name: give --actor EMAIL (a member of legal staff)."
ACTOR_UNKNOWN = "no active user has the email {email}."
ACTOR_NOT_LEGAL = "{email} is not legal staff: changes are drafted in the name of a member of the legal group."
ACTOR_PERMISSION = "{email} lacks the permission `{perm}` the console needs for this."
REASON_REQUIRED = (
    "a new change needs the reason customers will read: give a `reason` for this row, or --reason for all."
)

DRAFTED = "drafted"
ALREADY_DRAFTED = "already drafted"
ENTRY_UPDATED = "already drafted, entry updated"  # the draft's proposed row took the file's new values
SYNC_NOTE = "subprocessors_sync"


@dataclass
class Outcome:
    difference: Difference
    result: str  # DRAFTED, ALREADY_DRAFTED, ENTRY_UPDATED, or "already announced" / "already held"
    change: SubprocessorChange

    def as_dict(self) -> dict:
        return {
            "kind": self.difference.kind,
            "slug": self.difference.slug,
            "result": self.result,
            "change": str(self.change.public_id),
            "status": self.change.status,
            "effective_date": self.change.effective_date.isoformat(),
            "console_url": console_url(self.change),
        }


class SyncRefused(Exception):
    """A service refused a draft; nothing was written."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def sync_actor(email: str | None):
    """The legal staff member drafts are made for. Raises SyncInvalid when there is none or they may not."""
    if not email:
        raise SyncInvalid([Problem(None, "actor", ACTOR_REQUIRED)])
    user = get_user_model().objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None:
        raise SyncInvalid([Problem(None, "actor", ACTOR_UNKNOWN.format(email=email))])
    if not is_legal(user):
        raise SyncInvalid([Problem(None, "actor", ACTOR_NOT_LEGAL.format(email=user.email))])
    if not user.has_perm(DRAFT_PERMISSION):
        raise SyncInvalid([Problem(None, "actor", ACTOR_PERMISSION.format(email=user.email, perm=DRAFT_PERMISSION))])
    return user


def sync_apply(
    *, plan: Plan, actor, reason: str = "", effective_date: dt.date | None = None, now: dt.datetime | None = None
) -> list[Outcome]:
    """Draft a change for each difference that has none open. `reason` is for rows without their own; the
    effective date defaults to the earliest the change's kind allows (10 business days for additions and
    replacements, today for removals and modifications), to be set when a person announces it."""
    now = now or timezone.now()
    reason = reason.strip()
    missing = [
        Problem(d.line, "reason", REASON_REQUIRED, d.slug)
        for d in plan.differences
        if not d.drafted and not (d.reason or reason)
    ]
    if missing:
        raise SyncInvalid(missing)
    problems: list[Problem] = []
    outcomes: list[Outcome] = []
    with transaction.atomic():
        for difference in plan.differences:
            try:
                with transaction.atomic():
                    outcomes.append(
                        _draft(
                            difference,
                            actor=actor,
                            reason=difference.reason or reason,
                            effective_date=effective_date or earliest_effective_date(difference.kind, now),
                        )
                    )
            except ApplicationError as exc:
                problems.append(Problem(difference.line, exc.field or "change", exc.message, difference.slug))
            except ValidationError as exc:
                problems.extend(
                    Problem(difference.line, "change" if name == "__all__" else name, message, difference.slug)
                    for name, messages in _messages(exc)
                    for message in messages
                )
        if problems:
            raise SyncRefused(problems)
    return outcomes


def _messages(exc: ValidationError):
    return exc.message_dict.items() if hasattr(exc, "error_dict") else [("__all__", exc.messages)]


def _draft(difference: Difference, *, actor, reason: str, effective_date: dt.date) -> Outcome:
    pending = difference.pending
    sp = difference.subprocessor
    if pending is not None and difference.drafted:
        if pending.status != SubprocessorChange.Status.DRAFT:
            # Customers were told about this entry: a difference from the file is for a person to settle.
            return Outcome(difference, f"already {pending.status}", pending)
        if difference.changes and difference.kind in (Kind.ADD, Kind.REPLACE):
            assert sp is not None  # a drafted addition has its proposed row
            _bring_in_line(sp, difference, actor=actor)
            return Outcome(difference, ENTRY_UPDATED, pending)
        return Outcome(difference, ALREADY_DRAFTED, pending)
    common = {"kind": difference.kind, "reason": reason, "effective_date": effective_date, "actor": actor}
    if difference.kind in (Kind.ADD, Kind.REPLACE):
        if sp is None:
            change = change_create_with_subprocessor(
                subprocessor_data=difference.data, replaces=difference.replaces, **common
            )
            return Outcome(difference, DRAFTED, change)
        # A proposed row made earlier (or a retired one coming back): brought in line with the file first.
        _bring_in_line(sp, difference, actor=actor)
        return Outcome(difference, DRAFTED, change_create(subprocessor=sp, replaces=difference.replaces, **common))
    assert sp is not None  # removals and modifications concern a row of the list
    change = change_create(subprocessor=sp, modification=difference.modification, **common)
    return Outcome(difference, DRAFTED, change)


def _bring_in_line(sp: Subprocessor, difference: Difference, *, actor) -> None:
    """Give a proposed (or retired) row the file's values, as the console's edit page would."""
    data = {change.field: change.after for change in difference.changes}
    if sp.status == Subprocessor.Status.RETIRED:
        data.update(status=Subprocessor.Status.PROPOSED, retired_on=None)
    if not data:
        return
    if not actor.has_perm(EDIT_PERMISSION):
        raise ApplicationError(ACTOR_PERMISSION.format(email=actor.email, perm=EDIT_PERMISSION))
    subprocessor_update(subprocessor=sp, data=data, actor=actor, note=SYNC_NOTE)
