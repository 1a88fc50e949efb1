from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from portal.audit.services import diff, snapshot
from portal.core.errors import ApplicationError
from portal.delivery.outbox import email_queue
from portal.organisations import events
from portal.organisations.models import Invitation, Membership, Organisation

INVITATION_VALID_FOR = timedelta(days=14)

LAST_ADMIN = "An organisation needs at least one admin. Make someone else admin first."
INVITE_WRONG_EMAIL = "This invitation was sent to {email}. Sign in with that address to accept it."
INVITE_EXPIRED = "This invitation has expired. Ask an admin of the organisation for a new one."
ALREADY_MEMBER = "{email} is already a member of this organisation."
PHONE_INVALID = "Enter a phone number with digits, spaces and an optional leading +."
PHONE_CHARACTERS = frozenset("+0123456789 ()-.")


def breach_phone_clean(phone: str) -> str:
    """The breach contact's phone as stored (trimmed); ApplicationError when it is not a phone number. The contacts
    form and the staff API both check it here."""
    phone = (phone or "").strip()
    if phone and (not set(phone) <= PHONE_CHARACTERS or sum(c.isdigit() for c in phone) < 6):
        raise ApplicationError(PHONE_INVALID, field="breach_contact_phone")
    return phone


@transaction.atomic
def organisation_create(*, name: str, creator, request=None, **fields) -> Organisation:
    org = Organisation(name=name.strip(), **fields)
    org.full_clean()
    org.save()
    Membership.objects.create(user=creator, organisation=org, role=Membership.Role.ADMIN)
    events.organisation_created(organisation=org, actor=creator, request=request)
    return org


@transaction.atomic
def organisation_update(*, organisation: Organisation, actor, data: dict, request=None) -> Organisation:
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if "breach_contact_phone" in data:
        data = {**data, "breach_contact_phone": breach_phone_clean(data["breach_contact_phone"])}
    fields = list(data)
    before = snapshot(organisation, fields)
    for field, value in data.items():
        setattr(organisation, field, value)
    organisation.full_clean()
    organisation.save()
    changes = diff(before, snapshot(organisation, fields))
    if changes["after"]:
        events.organisation_updated(organisation=organisation, changes=changes, actor=actor, request=request)
    return organisation


@transaction.atomic
def invitation_create(*, organisation: Organisation, email: str, role: str, actor, request=None) -> Invitation:
    email = email.strip().lower()
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise ApplicationError(ALREADY_MEMBER.format(email=email), field="email")
    Invitation.objects.filter(organisation=organisation, email=email, accepted_at__isnull=True).delete()
    invitation = Invitation.objects.create(
        organisation=organisation,
        email=email,
        role=role,
        invited_by=actor,
        expires_at=timezone.now() + INVITATION_VALID_FOR,
    )
    events.member_invited(invitation=invitation, actor=actor, request=request)
    email_queue(
        key=f"invitation:{invitation.token}",
        to=email,
        template="invitation",
        context={"invitation": invitation, "organisation": organisation, "inviter": actor},
        organisation=organisation,
        ref=invitation,
    )
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user, request=None) -> Membership:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        membership = Membership.objects.filter(user=user, organisation=invitation.organisation).first()
        if membership:
            return membership
        raise ApplicationError("This invitation has already been used.")
    if invitation.expires_at < timezone.now():
        raise ApplicationError(INVITE_EXPIRED)
    if user.email.lower() != invitation.email.lower():
        raise ApplicationError(INVITE_WRONG_EMAIL.format(email=invitation.email))
    membership, _ = Membership.objects.get_or_create(
        user=user, organisation=invitation.organisation, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at", "updated_at"])
    events.member_joined(membership=membership, user=user, request=request)
    return membership


def _ensure_other_admin(membership: Membership) -> None:
    others = Membership.objects.filter(organisation=membership.organisation, role=Membership.Role.ADMIN).exclude(
        pk=membership.pk
    )
    if membership.role == Membership.Role.ADMIN and not others.exists():
        raise ApplicationError(LAST_ADMIN)


@transaction.atomic
def membership_set_role(*, membership: Membership, role: str, actor, request=None) -> Membership:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if role not in Membership.Role.values:
        raise ApplicationError("Choose a valid role.", field="role")
    if role == membership.role:
        return membership
    if role != Membership.Role.ADMIN:
        _ensure_other_admin(membership)
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    events.member_role_changed(membership=membership, before=before, actor=actor, request=request)
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor, request=None) -> None:
    membership = Membership.objects.select_for_update().select_related("user", "organisation").get(pk=membership.pk)
    _ensure_other_admin(membership)
    events.member_removed(membership=membership, actor=actor, request=request)
    membership.delete()
