"""Audit events of the business calendar and the obligation deadline engine."""

from django.http import HttpRequest

from portal.audit.event_types import event_type
from portal.audit.models import AuditEvent
from portal.audit.services import AuditActor, audit_record
from portal.deadlines.models import CalendarOverride, Obligation, ObligationReminder

CALENDAR_OVERRIDE_ADDED = event_type("calendar.override_added", "Business calendar day overridden")
CALENDAR_OVERRIDE_REMOVED = event_type("calendar.override_removed", "Business calendar override removed")
OBLIGATION_CREATED = event_type("obligation.created", "Obligation recorded")
OBLIGATION_RESCHEDULED = event_type("obligation.rescheduled", "Obligation rescheduled")
OBLIGATION_COMPLETED = event_type("obligation.completed", "Obligation completed")
OBLIGATION_REMINDER_SENT = event_type("obligation.reminder_sent", "Obligation reminder sent")
OBLIGATION_OVERDUE_ALERT = event_type("obligation.overdue_alert", "Obligation overdue alert sent")
OBLIGATION_EVIDENCE_DOWNLOADED = event_type("obligation.evidence_downloaded", "Obligation evidence downloaded")
OBLIGATION_REGISTER_EXPORTED = event_type("obligation.register_exported", "Obligation register exported")


def _override_details(override: CalendarOverride) -> dict:
    if override.recurrence == CalendarOverride.Recurrence.YEARLY:
        when = {"recurrence": override.recurrence, "month": override.month, "day": override.day}
    else:
        assert override.date is not None  # a one-off override has its date (the model's constraint)
        when = {"recurrence": override.recurrence, "date": override.date.isoformat()}
    return {**when, "kind": override.kind, "note": override.note}


def calendar_override_added(
    *, override: CalendarOverride, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    return audit_record(
        action=CALENDAR_OVERRIDE_ADDED.action,
        actor=actor,
        target=override,
        request=request,
        details={"after": _override_details(override)},
    )


def calendar_override_removed(
    *, override: CalendarOverride, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    return audit_record(
        action=CALENDAR_OVERRIDE_REMOVED.action,
        actor=actor,
        target=override,
        request=request,
        details={"before": _override_details(override)},
    )


def obligation_created(*, obligation: Obligation, actor: AuditActor, request: HttpRequest | None = None) -> AuditEvent:
    return audit_record(
        action=OBLIGATION_CREATED.action,
        actor=actor,
        target=obligation,
        organisation=obligation.organisation_id,
        request=request,
        details={
            "kind": obligation.kind,
            "title": obligation.title,
            "source": obligation.source,
            "received_at": obligation.received_at,
            "due_at": obligation.due_at,
        },
    )


def obligation_rescheduled(
    *, obligation: Obligation, before: dict, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    """`before`: the received and due times it had."""
    return audit_record(
        action=OBLIGATION_RESCHEDULED.action,
        actor=actor,
        target=obligation,
        organisation=obligation.organisation_id,
        request=request,
        details={"before": before, "after": {"received_at": obligation.received_at, "due_at": obligation.due_at}},
    )


def obligation_completed(
    *, obligation: Obligation, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    return audit_record(
        action=OBLIGATION_COMPLETED.action,
        actor=actor,
        target=obligation,
        organisation=obligation.organisation_id,
        request=request,
        details={
            "kind": obligation.kind,
            "due_at": obligation.due_at,
            "completed_at": obligation.completed_at,
            "on_time": obligation.completed_at is not None and obligation.completed_at <= obligation.due_at,
            "evidence": obligation.evidence,
            "evidence_file": obligation.evidence_file.name if obligation.evidence_file else "",
        },
    )


def obligation_reminded(
    *, obligation: Obligation, stage: str, recipients: list[str], incident_id: int | None = None
) -> AuditEvent:
    """A reminder stage went out; the overdue stage is an alert of its own. `incident_id`: the breach incident
    whose notification the obligation is, if any."""
    kind = OBLIGATION_OVERDUE_ALERT if stage == ObligationReminder.Stage.OVERDUE else OBLIGATION_REMINDER_SENT
    return audit_record(
        action=kind.action,
        target=obligation,
        organisation=obligation.organisation_id,
        details={
            "stage": stage,
            "due_at": obligation.due_at,
            "recipients": recipients,
            **({"incident": incident_id} if incident_id is not None else {}),
        },
    )


def obligation_evidence_downloaded(*, obligation: Obligation, actor: AuditActor, request: HttpRequest) -> AuditEvent:
    return audit_record(
        action=OBLIGATION_EVIDENCE_DOWNLOADED.action,
        actor=actor,
        target=obligation,
        organisation=obligation.organisation_id,
        request=request,
        details={"file": obligation.evidence_file.name},
    )


def obligation_register_exported(*, actor: AuditActor, request: HttpRequest) -> AuditEvent:
    return audit_record(
        action=OBLIGATION_REGISTER_EXPORTED.action, actor=actor, request=request, details={"format": "csv"}
    )
