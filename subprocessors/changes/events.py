"""Audit events of sub-processor changes (drafted, announced, postponed, held, withdrawn, effective), their
notices and customer webhooks."""

import datetime as dt

from django.http import HttpRequest

from portal.audit.event_types import event_type
from portal.audit.models import AuditEvent
from portal.audit.services import Actor, AuditActor, audit_record, snapshot
from portal.organisations.models import Organisation
from subprocessors.changes.models import CHANGE_FIELDS, ChangeRecipient, SubprocessorChange

CHANGE_CREATED = event_type("subprocessor_change.created", "Sub-processor change drafted")
CHANGE_UPDATED = event_type("subprocessor_change.updated", "Sub-processor change draft edited")
CHANGE_DELETED = event_type("subprocessor_change.deleted", "Sub-processor change draft deleted")
CHANGE_ANNOUNCED = event_type("subprocessor_change.announced", "Sub-processor change announced")
CHANGE_POSTPONED = event_type("subprocessor_change.postponed", "Sub-processor change postponed")
CHANGE_HELD = event_type("subprocessor_change.held", "Sub-processor change held (notice incomplete)")
CHANGE_WITHDRAWN = event_type("subprocessor_change.withdrawn", "Sub-processor change withdrawn")
CHANGE_EFFECTIVE = event_type("subprocessor_change.effective", "Sub-processor change took effect")
CHANGE_ALTERNATE_CONTACT = event_type("subprocessor_change.alternate_contact", "Change notice sent to another contact")
CHANGE_NOTICE_EXPORTED = event_type("subprocessor_change.notice_exported", "Proof of notice exported")

# A postponement records its dates besides the change fields (models.CHANGE_FIELDS).
POSTPONE_FIELDS = ["status", "effective_date", "notice_deadline_at", "held_at"]

TAKES_EFFECT = Actor(label="system (change takes effect)")
NOTICE_INCOMPLETE = Actor(label="system (notice incomplete on the effective date)")


def change_snapshot(change: SubprocessorChange) -> dict:
    return snapshot(change, CHANGE_FIELDS)


def change_postpone_snapshot(change: SubprocessorChange) -> dict:
    return snapshot(change, [*CHANGE_FIELDS, *POSTPONE_FIELDS])


def change_created(*, change: SubprocessorChange, actor: AuditActor, request: HttpRequest | None = None) -> AuditEvent:
    return audit_record(
        action=CHANGE_CREATED.action,
        actor=actor,
        target=change,
        request=request,
        details={"after": change_snapshot(change)},
    )


def change_updated(
    *, change: SubprocessorChange, before: dict, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    """`before`: the `change_snapshot` taken before the edit."""
    return audit_record(
        action=CHANGE_UPDATED.action,
        actor=actor,
        target=change,
        request=request,
        details={"before": before, "after": change_snapshot(change)},
    )


def change_deleted(*, change: SubprocessorChange, actor: AuditActor, request: HttpRequest | None = None) -> AuditEvent:
    return audit_record(
        action=CHANGE_DELETED.action,
        actor=actor,
        target=change,
        request=request,
        details={"before": change_snapshot(change)},
    )


def change_announced(
    *, change: SubprocessorChange, before: dict, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    """`before`: the `change_snapshot` of the draft."""
    return audit_record(
        action=CHANGE_ANNOUNCED.action,
        actor=actor,
        target=change,
        request=request,
        details={
            "before": before,
            "after": change_snapshot(change),
            "announced_at": _iso(change.announced_at),
            "objection_deadline": _iso(change.objection_deadline),
            "notice_deadline": _iso(change.notice_deadline_at),
        },
    )


def change_postponed(
    *,
    change: SubprocessorChange,
    before: dict,
    was_held: bool,
    actor: AuditActor,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """`before`: the `change_postpone_snapshot` taken before the move."""
    return audit_record(
        action=CHANGE_POSTPONED.action,
        actor=actor,
        target=change,
        request=request,
        details={
            "before": before,
            "after": change_postpone_snapshot(change),
            "was_held": was_held,
            "reason": change.postponement_reason,
            "postponement": change.postponements,
            "objection_deadline": _iso(change.objection_deadline),
        },
    )


def change_held(*, change: SubprocessorChange, organisations_without_notice: int, missing: list[str]) -> AuditEvent:
    """`missing`: names of (up to 100) enterprise organisations with no notice delivered in time."""
    return audit_record(
        action=CHANGE_HELD.action,
        actor=NOTICE_INCOMPLETE,
        target=change,
        details={
            "before": {"status": "announced"},
            "after": {"status": "held"},
            "reason": "notice incomplete",
            "effective_date": change.effective_date.isoformat(),
            "notice_deadline": _iso(change.notice_deadline_at),
            "recipients_recorded": change.recipients_recorded_at is not None,
            "organisations_without_notice": organisations_without_notice,
            "organisations": missing,
        },
    )


def change_withdrawn(
    *, change: SubprocessorChange, before_status: str, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    return audit_record(
        action=CHANGE_WITHDRAWN.action,
        actor=actor,
        target=change,
        request=request,
        details={
            "before": {"status": before_status},
            "after": {"status": "withdrawn"},
            "reason": change.withdrawal_reason,
        },
    )


def change_effective(*, change: SubprocessorChange, before_status: str) -> AuditEvent:
    return audit_record(
        action=CHANGE_EFFECTIVE.action,
        actor=TAKES_EFFECT,
        target=change,
        details={
            "before": {"status": before_status},
            "after": {"status": "effective"},
            "notice_deadline": _iso(change.notice_deadline_at),
        },
    )


def change_alternate_contact_added(
    *,
    change: SubprocessorChange,
    organisation: Organisation,
    recipient: ChangeRecipient,
    instead_of: list[str],
    reason: str,
    actor: AuditActor,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """`recipient`: the new address of `organisation`; `instead_of`: its addresses whose notices failed."""
    return audit_record(
        action=CHANGE_ALTERNATE_CONTACT.action,
        actor=actor,
        target=change,
        organisation=organisation,
        request=request,
        details={
            "organisation": organisation.name,
            "email": recipient.email,
            "instead_of": instead_of,
            "reason": reason.strip(),
            "effective_date": change.effective_date.isoformat(),
            "email_id": recipient.announce_email_id,
        },
    )


def change_notice_exported(*, change: SubprocessorChange, actor: AuditActor, request: HttpRequest) -> AuditEvent:
    return audit_record(action=CHANGE_NOTICE_EXPORTED.action, actor=actor, target=change, request=request)


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    """A time of the change for the log (None only if a state that sets it was skipped, which the services refuse)."""
    return value.isoformat() if value is not None else None
