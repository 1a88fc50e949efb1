"""Audit events of customer organisations, their members and their API tokens."""

from django.contrib.auth.models import AbstractUser
from django.http import HttpRequest

from portal.audit.event_types import event_type
from portal.audit.models import AuditEvent
from portal.audit.services import AuditActor, audit_record, snapshot
from portal.organisations.models import ApiToken, Invitation, Membership, Organisation

ORGANISATION_CREATED = event_type("organisation.created", "Organisation created")
ORGANISATION_UPDATED = event_type("organisation.updated", "Organisation details changed")
ORGANISATION_TIER_CHANGED = event_type("organisation.tier_changed", "Organisation tier changed")
MEMBER_INVITED = event_type("organisation.member_invited", "Member invited")
MEMBER_JOINED = event_type("organisation.member_joined", "Member joined")
MEMBER_ROLE_CHANGED = event_type("organisation.member_role_changed", "Member role changed")
MEMBER_REMOVED = event_type("organisation.member_removed", "Member removed")
API_TOKEN_CREATED = event_type("api_token.created", "API token created")
API_TOKEN_REVOKED = event_type("api_token.revoked", "API token revoked")

_CREATED_FIELDS = [
    "name",
    "tier",
    "email_domain",
    "privacy_contact_email",
    "breach_contact_name",
    "breach_contact_email",
    "breach_contact_phone",
]


def organisation_created(
    *, organisation: Organisation, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    return audit_record(
        action=ORGANISATION_CREATED.action,
        actor=actor,
        target=organisation,
        organisation=organisation,
        request=request,
        details={"after": snapshot(organisation, _CREATED_FIELDS)},
    )


def organisation_updated(
    *, organisation: Organisation, changes: dict, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    """`changes` is a before/after diff; a change of tier is its own event type (it changes what is owed)."""
    kind = ORGANISATION_TIER_CHANGED if "tier" in changes["after"] else ORGANISATION_UPDATED
    return audit_record(
        action=kind.action,
        actor=actor,
        target=organisation,
        organisation=organisation,
        request=request,
        details=changes,
    )


def member_invited(*, invitation: Invitation, actor: AuditActor, request: HttpRequest | None = None) -> AuditEvent:
    return audit_record(
        action=MEMBER_INVITED.action,
        actor=actor,
        target=invitation,
        organisation=invitation.organisation,
        request=request,
        details={"email": invitation.email, "role": invitation.role},
    )


def member_joined(*, membership: Membership, user: AbstractUser, request: HttpRequest | None = None) -> AuditEvent:
    return audit_record(
        action=MEMBER_JOINED.action,
        actor=user,
        target=membership,
        organisation=membership.organisation_id,
        request=request,
        details={"email": user.email, "role": membership.role},
    )


def member_role_changed(
    *, membership: Membership, before: str, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    return audit_record(
        action=MEMBER_ROLE_CHANGED.action,
        actor=actor,
        target=membership,
        organisation=membership.organisation,
        request=request,
        details={"email": membership.user.email, "before": {"role": before}, "after": {"role": membership.role}},
    )


def member_removed(*, membership: Membership, actor: AuditActor, request: HttpRequest | None = None) -> AuditEvent:
    return audit_record(
        action=MEMBER_REMOVED.action,
        actor=actor,
        target=membership,
        organisation=membership.organisation,
        request=request,
        details={"email": membership.user.email, "role": membership.role},
    )


def _token_details(token: ApiToken) -> dict:
    return {
        "name": token.name,
        "prefix": token.prefix,
        "scope": token.scope,
        "staff": token.staff,
        "expires": token.expiry.isoformat() if token.expiry else None,
    }


def api_token_created(*, token: ApiToken, actor: AuditActor, request: HttpRequest | None = None) -> AuditEvent:
    return audit_record(
        action=API_TOKEN_CREATED.action,
        actor=actor,
        target_type="organisations.ApiToken",
        target_id=str(token.public_id),  # never the digest
        request=request,
        details=_token_details(token),
    )


def api_token_revoked(
    *, token: ApiToken, reason: str, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    return audit_record(
        action=API_TOKEN_REVOKED.action,
        actor=actor,
        target_type="organisations.ApiToken",
        target_id=str(token.public_id),
        request=request,
        details={**_token_details(token), "owner": token.user.email, "reason": reason},
    )
