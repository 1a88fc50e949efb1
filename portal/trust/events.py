"""Audit events of the trust portal: access requests and their decisions, auto-approval rules, NDA versions and
trust documents."""

from django.http import HttpRequest

from portal.audit.event_types import event_type
from portal.audit.models import AuditEvent
from portal.audit.services import Actor, AuditActor, audit_record
from portal.trust.models import AccessRequest, AutoApprovalRule, NdaVersion, TrustDocument, TrustDocumentVersion

ACCESS_REQUESTED = event_type("access.requested", "Access requested")
ACCESS_APPROVED = event_type("access.approved", "Access request approved")
ACCESS_AUTO_APPROVED = event_type("access.auto_approved", "Access request approved by a rule")
ACCESS_DENIED = event_type("access.denied", "Access request denied")
ACCESS_REVOKED = event_type("access.revoked", "Access revoked")
ACCESS_ESCALATED = event_type("access.escalated", "Undecided access request escalated")
ACCESS_EXPIRY_WARNED = event_type("access.expiry_warned", "Access expiry warning sent")
ACCESS_EXPIRED = event_type("access.expired", "Access expired")
ACCESS_DIGEST_SENT = event_type("access.digest_sent", "Auto-approval digest sent")
ACCESS_RULE_CREATED = event_type("access.rule_created", "Auto-approval rule created")
ACCESS_RULE_ENABLED = event_type("access.rule_enabled", "Auto-approval rule enabled")
ACCESS_RULE_DISABLED = event_type("access.rule_disabled", "Auto-approval rule disabled")
NDA_PUBLISHED = event_type("nda.published", "NDA version published")
DOCUMENT_CREATED = event_type("document.created", "Trust document uploaded")
DOCUMENT_REPLACED = event_type("document.replaced", "Trust document replaced")
DOCUMENT_UPDATED = event_type("document.updated", "Trust document details changed")
DOCUMENT_RETIRED = event_type("document.retired", "Trust document retired")
DOCUMENT_DOWNLOADED = event_type("document.downloaded", "Trust document downloaded")

SYSTEM = Actor(label="system")


def _request_details(req: AccessRequest) -> dict:
    return {
        "reference": req.reference,
        "email": req.user.email,
        "company": req.company,
        "status": req.status,
        "level": req.level,
        "expires_at": req.expires_at.isoformat() if req.expires_at else None,
    }


# --- Access requests ---------------------------------------------------------------------------


def access_requested(
    *, access_request: AccessRequest, nda_ip: str | None, request: HttpRequest | None = None
) -> AuditEvent:
    """`nda_ip`: the address as the requester sent it (the row keeps None for an empty one)."""
    req = access_request
    return audit_record(
        action=ACCESS_REQUESTED.action,
        actor=req.user,
        target=req,
        organisation=req.organisation_id,
        request=request,
        details={
            **_request_details(req),
            "nda_version": req.nda_version.version,
            "nda_accepted_at": req.nda_accepted_at.isoformat(),
            "nda_ip": nda_ip,
            "nda_user_agent": req.nda_user_agent,
            "due_at": req.due_at.isoformat(),
        },
    )


def access_request_approved(
    *,
    access_request: AccessRequest,
    actor: AuditActor,
    superseded: list[AccessRequest],
    request: HttpRequest | None = None,
    auto_rule: AutoApprovalRule | None = None,
) -> AuditEvent:
    """Approved by staff, or by `auto_rule` (its own event type); `superseded`: the grants it replaced."""
    req = access_request
    return audit_record(
        action=(ACCESS_AUTO_APPROVED if auto_rule else ACCESS_APPROVED).action,
        actor=actor,
        target=req,
        organisation=req.organisation,
        request=request,
        details={
            **_request_details(req),
            "note": req.decision_note,
            "rule": auto_rule.domain if auto_rule else None,
            "superseded": [str(o.public_id) for o in superseded],
        },
    )


def access_request_denied(
    *, access_request: AccessRequest, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    req = access_request
    return audit_record(
        action=ACCESS_DENIED.action,
        actor=actor,
        target=req,
        organisation=req.organisation,
        request=request,
        details={**_request_details(req), "reason": req.denial_reason},
    )


def access_revoked(
    *, access_request: AccessRequest, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    req = access_request
    return audit_record(
        action=ACCESS_REVOKED.action,
        actor=actor,
        target=req,
        organisation=req.organisation,
        request=request,
        details={**_request_details(req), "reason": req.end_reason},
    )


def access_request_escalated(*, access_request: AccessRequest) -> AuditEvent:
    req = access_request
    return audit_record(
        action=ACCESS_ESCALATED.action,
        actor=SYSTEM,
        target=req,
        details={**_request_details(req), "due_at": str(req.due_at)},
    )


def access_expiry_warned(*, access_request: AccessRequest) -> AuditEvent:
    return audit_record(
        action=ACCESS_EXPIRY_WARNED.action,
        actor=SYSTEM,
        target=access_request,
        details=_request_details(access_request),
    )


def access_expired(*, access_request: AccessRequest) -> AuditEvent:
    return audit_record(
        action=ACCESS_EXPIRED.action,
        actor=SYSTEM,
        target=access_request,
        organisation=access_request.organisation,
        details=_request_details(access_request),
    )


def access_digest_sent(*, access_requests: list[AccessRequest], recipients: list[str]) -> AuditEvent:
    return audit_record(
        action=ACCESS_DIGEST_SENT.action,
        actor=SYSTEM,
        details={"requests": [r.reference for r in access_requests], "recipients": recipients},
    )


# --- Auto-approval rules and NDA versions ------------------------------------------------------


def auto_rule_created(*, rule: AutoApprovalRule, actor: AuditActor, request: HttpRequest | None = None) -> AuditEvent:
    return audit_record(
        action=ACCESS_RULE_CREATED.action,
        actor=actor,
        target=rule,
        organisation=rule.organisation,
        request=request,
        details={"domain": rule.domain, "level": rule.level},
    )


def auto_rule_switched(*, rule: AutoApprovalRule, actor: AuditActor, request: HttpRequest | None = None) -> AuditEvent:
    """The rule was enabled or disabled (`rule.active` says which)."""
    return audit_record(
        action=(ACCESS_RULE_ENABLED if rule.active else ACCESS_RULE_DISABLED).action,
        actor=actor,
        target=rule,
        organisation=rule.organisation_id,
        request=request,
        details={"domain": rule.domain, "level": rule.level},
    )


def nda_version_published(
    *, nda: NdaVersion, previous: NdaVersion | None, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    return audit_record(
        action=NDA_PUBLISHED.action,
        actor=actor,
        target=nda,
        request=request,
        details={"version": nda.version, "previous": previous.version if previous else None},
    )


# --- Trust documents ---------------------------------------------------------------------------


def document_created(
    *, document: TrustDocument, version: TrustDocumentVersion, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    return audit_record(
        action=DOCUMENT_CREATED.action,
        actor=actor,
        target=document,
        request=request,
        details={
            "title": document.title,
            "category": document.category,
            "access_level": document.access_level,
            "version": version.version,
            "sha256": version.sha256,
        },
    )


def document_replaced(
    *,
    document: TrustDocument,
    before: str | None,
    version: TrustDocumentVersion,
    actor: AuditActor,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """`before`: the version label it replaced."""
    return audit_record(
        action=DOCUMENT_REPLACED.action,
        actor=actor,
        target=document,
        request=request,
        details={"before": {"version": before}, "after": {"version": version.version}, "sha256": version.sha256},
    )


def document_updated(
    *, document: TrustDocument, before: dict, after: dict, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    """`before`/`after`: the changed fields only."""
    return audit_record(
        action=DOCUMENT_UPDATED.action,
        actor=actor,
        target=document,
        request=request,
        details={"before": before, "after": after},
    )


def document_retired(*, document: TrustDocument, actor: AuditActor, request: HttpRequest | None = None) -> AuditEvent:
    return audit_record(
        action=DOCUMENT_RETIRED.action, actor=actor, target=document, request=request, details={"title": document.title}
    )


def document_downloaded(
    *,
    document: TrustDocument,
    version: TrustDocumentVersion,
    user: AuditActor,
    grant: AccessRequest | None,
    stamped: bool,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """`grant`: the access the download was allowed under (None for public documents or staff)."""
    return audit_record(
        action=DOCUMENT_DOWNLOADED.action,
        actor=user if getattr(user, "is_authenticated", False) else Actor(label="anonymous visitor"),
        target=document,
        organisation=grant.organisation_id if grant else None,
        request=request,
        details={
            "title": document.title,
            "version": version.version,
            "access_level": document.access_level,
            "stamped": stamped,
            "email": getattr(user, "email", ""),
            "grant": grant.reference if grant else None,
        },
    )
