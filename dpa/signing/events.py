"""Audit events of DPA execution: requested, agreement re-prepared, agreement rendered, signed by the customer,
countersigned (executed), declined, lapsed, and the executed copy and register handed out."""

from django.http import HttpRequest

from dpa.signing.models import DpaExecution
from portal.audit.event_types import event_type
from portal.audit.models import AuditEvent
from portal.audit.services import Actor, AuditActor, audit_record

DPA_EXECUTION_REQUESTED = event_type("dpa.execution_requested", "DPA signature requested")
DPA_AGREEMENT_REGENERATED = event_type("dpa.agreement_regenerated", "DPA agreement re-prepared (annex changed)")
DPA_AGREEMENT_PREPARED = event_type("dpa.agreement_prepared", "DPA agreement for signature rendered")
DPA_AGREEMENT_RETRIED = event_type("dpa.agreement_retried", "Failed DPA agreement render retried by staff")
DPA_SIGNED_BY_CUSTOMER = event_type("dpa.signed_by_customer", "DPA signed by the customer")
DPA_EXECUTED = event_type("dpa.executed", "DPA countersigned and executed")
DPA_EXECUTION_DECLINED = event_type("dpa.execution_declined", "DPA signature declined")
DPA_EXECUTION_LINK_EXPIRED = event_type("dpa.execution_link_expired", "DPA signing link expired")
DPA_EXECUTED_COPY_DOWNLOADED = event_type("dpa.executed_copy_downloaded", "Executed DPA downloaded")
DPA_REGISTER_EXPORTED = event_type("dpa.register_exported", "DPA register exported")

ANNEX_CHANGED_ACTOR = Actor(label="system (sub-processor list changed before signing)")
AGREEMENT_WORKER_ACTOR = Actor(label="system (agreement for signature rendered by a worker)")


def annex_details(execution: DpaExecution) -> dict:
    """The agreement up for signature and the Annex 1 it prints, as every signing event records them."""
    return {
        "agreement_sha256": execution.agreement_sha256,
        "annex_as_of": execution.annex_as_of,
        "annex_sha256": execution.annex_sha256,
        "annex_subprocessors": len(execution.annex_rows or []),
    }


def dpa_execution_requested(
    *, execution: DpaExecution, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    return audit_record(
        action=DPA_EXECUTION_REQUESTED.action,
        actor=actor,
        target=execution,
        organisation=execution.organisation,
        request=request,
        details={
            "version": execution.version.label,
            "signatory": {"name": execution.signatory_name, "title": execution.signatory_title},
            "signatory_email": execution.signatory_email,
            **annex_details(execution),
            "link_expires_at": execution.link_expires_at,
        },
    )


def dpa_agreement_regenerated(
    *, execution: DpaExecution, before: dict, request: HttpRequest | None = None
) -> AuditEvent:
    """`before`: the `annex_details` of the agreement it replaced."""
    return audit_record(
        action=DPA_AGREEMENT_REGENERATED.action,
        actor=ANNEX_CHANGED_ACTOR,
        target=execution,
        organisation=execution.organisation,
        request=request,
        details={"version": execution.version.label, "before": before, "after": annex_details(execution)},
    )


def dpa_agreement_prepared(*, execution: DpaExecution, render_ms: int) -> AuditEvent:
    """The worker rendered the agreement from the recorded annex and it is now up for signature: the request and
    a re-preparation record the annex; this records the SHA-256 of the document the signatory will be shown."""
    return audit_record(
        action=DPA_AGREEMENT_PREPARED.action,
        actor=AGREEMENT_WORKER_ACTOR,
        target=execution,
        organisation=execution.organisation,
        details={"version": execution.version.label, **annex_details(execution), "render_ms": render_ms},
    )


def dpa_agreement_retried(
    *, execution: DpaExecution, error: str, attempts: int, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    """Legal staff sent a failed agreement render again: the failure they saw and after how many attempts."""
    return audit_record(
        action=DPA_AGREEMENT_RETRIED.action,
        actor=actor,
        target=execution,
        organisation=execution.organisation,
        request=request,
        details={"version": execution.version.label, "error": error, "attempts": attempts},
    )


def dpa_signed_by_customer(
    *, execution: DpaExecution, actor: Actor, ip: str | None, request: HttpRequest | None = None
) -> AuditEvent:
    """`actor`: the signatory (signed through the emailed link); `ip`: the address as the signing view saw it."""
    return audit_record(
        action=DPA_SIGNED_BY_CUSTOMER.action,
        actor=actor,
        target=execution,
        organisation=execution.organisation,
        request=request,
        details={
            "version": execution.version.label,
            "name": execution.customer_signed_name,
            "title": execution.signatory_title,
            "signed_at": execution.customer_signed_at,
            "ip": ip,
            "user_agent": execution.customer_signed_user_agent,
            **annex_details(execution),
        },
    )


def dpa_executed(*, execution: DpaExecution, actor: AuditActor, request: HttpRequest | None = None) -> AuditEvent:
    return audit_record(
        action=DPA_EXECUTED.action,
        actor=actor,
        target=execution,
        organisation=execution.organisation,
        request=request,
        details={
            "version": execution.version.label,
            "countersigner": {"name": execution.countersigner_name, "title": execution.countersigner_title},
            "customer_signatory": {"name": execution.customer_signed_name, "title": execution.signatory_title},
            **annex_details(execution),
            "executed_sha256": execution.executed_sha256,
            "executed_at": execution.executed_at,
        },
    )


def dpa_execution_declined(
    *, execution: DpaExecution, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    return audit_record(
        action=DPA_EXECUTION_DECLINED.action,
        actor=actor,
        target=execution,
        organisation=execution.organisation,
        request=request,
        details={
            "side": execution.declined_side,
            "reason": execution.decline_reason,
            "version": execution.version.label,
        },
    )


def dpa_execution_link_expired(*, execution: DpaExecution, actor: AuditActor = None) -> AuditEvent:
    return audit_record(
        action=DPA_EXECUTION_LINK_EXPIRED.action,
        actor=actor,
        target=execution,
        organisation=execution.organisation,
        details={"version": execution.version.label, "link_expired_at": execution.link_expires_at},
    )


def dpa_executed_copy_downloaded(*, execution: DpaExecution, actor: AuditActor, request: HttpRequest) -> AuditEvent:
    return audit_record(
        action=DPA_EXECUTED_COPY_DOWNLOADED.action,
        actor=actor,
        target=execution,
        organisation=execution.organisation_id,
        request=request,
        details={"version": execution.version.label, "sha256": execution.executed_sha256},
    )


def dpa_register_exported(*, actor: AuditActor, request: HttpRequest) -> AuditEvent:
    return audit_record(action=DPA_REGISTER_EXPORTED.action, actor=actor, request=request, details={"format": "csv"})
