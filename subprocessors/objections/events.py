"""Audit events of objections to sub-processor changes: received, the consultation thread, status changes,
termination, and the reminder legal staff get about open objections before a change's date."""

import datetime as dt

from django.http import HttpRequest

from portal.audit.event_types import event_type
from portal.audit.models import AuditEvent
from portal.audit.services import AuditActor, audit_record
from subprocessors.changes.models import SubprocessorChange
from subprocessors.objections.models import Objection, ObjectionMessage

OBJECTION_RECEIVED = event_type("objection.received", "Objection received")
OBJECTION_MESSAGE = event_type("objection.message", "Objection message posted")
OBJECTION_STATUS = event_type("objection.status", "Objection status changed")
OBJECTION_TERMINATION_CONFIRMED = event_type("objection.termination_confirmed", "Termination confirmed after objection")
CHANGE_OBJECTION_REMINDER = event_type(
    "subprocessor_change.objection_reminder", "Legal staff reminded of open objections"
)


def objection_received(
    *, objection: Objection, deadline: dt.datetime, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    """`deadline`: when objections to the change close."""
    return audit_record(
        action=OBJECTION_RECEIVED.action,
        actor=actor,
        target=objection,
        organisation=objection.organisation,
        request=request,
        details={"change": objection.change_id, "grounds": objection.grounds, "deadline": deadline.isoformat()},
    )


def objection_message_posted(
    *, message: ObjectionMessage, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    objection = message.objection
    return audit_record(
        action=OBJECTION_MESSAGE.action,
        actor=actor,
        target=objection,
        organisation=objection.organisation,
        request=request,
        details={"message": message.pk, "from_staff": message.from_staff},
    )


def objection_status_changed(
    *,
    objection: Objection,
    before: str,
    actor: AuditActor,
    request: HttpRequest | None = None,
    note: str | None = None,
) -> AuditEvent:
    """`note`: the outcome note staff or the customer gave; None (no note recorded) when the objection moved into
    consultation because staff replied to it."""
    return audit_record(
        action=OBJECTION_STATUS.action,
        actor=actor,
        target=objection,
        organisation=objection.organisation,
        request=request,
        details={
            "before": {"status": before},
            "after": {"status": objection.status},
            **({"note": note} if note is not None else {}),
        },
    )


def objection_termination_confirmed(
    *, objection: Objection, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    return audit_record(
        action=OBJECTION_TERMINATION_CONFIRMED.action,
        actor=actor,
        target=objection,
        organisation=objection.organisation,
        request=request,
        details={"change": objection.change_id},
    )


def change_objection_reminder_sent(*, change: SubprocessorChange, open_objections: int) -> AuditEvent:
    return audit_record(
        action=CHANGE_OBJECTION_REMINDER.action, target=change, details={"open_objections": open_objections}
    )
