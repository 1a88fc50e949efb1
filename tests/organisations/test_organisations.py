import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.delivery.models import OutboundEmail
from portal.organisations.models import Invitation, Membership
from tests.auth import login
from tests.organisations.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

CONTACTS = {
    "privacy_contact_email": "dpo@acme.example",
    "breach_contact_name": "Ines de Vries",
    "breach_contact_email": "soc@acme.example",
    "breach_contact_phone": "+31 20 555 0100",
}


def _detail(org):
    return reverse("organisations:detail", args=[org.public_id])


def _contacts(org):
    return reverse("organisations:contacts", args=[org.public_id])


def test_anonymous_is_sent_to_login(client, org):
    response = client.get(_detail(org))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_member_sees_own_organisation(client, member, org):
    login(client, member)
    response = client.get(_detail(org))
    assert response.status_code == 200
    assert org.name in response.content.decode()
    assert org.privacy_contact_email in response.content.decode()


def test_other_organisation_answers_404_exactly_like_a_missing_one(client, member, other_org):
    login(client, member)
    other = client.get(_detail(other_org))
    missing = client.get(reverse("organisations:detail", args=[uuid.uuid4()]))
    assert other.status_code == missing.status_code == 404
    # the same page, apart from the per-response mask of the CSRF token in the layout's sign-out form
    assert _unmasked(other.content) == _unmasked(missing.content)
    assert other_org.name not in other.content.decode()


def _unmasked(content: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)


def test_member_of_another_organisation_cannot_edit_contacts(client, other_member, org):
    login(client, other_member)
    before = org.privacy_contact_email
    response = client.post(_contacts(org), CONTACTS)
    assert response.status_code == 404
    org.refresh_from_db()
    assert org.privacy_contact_email == before
    assert not AuditEvent.objects.exists()


def test_plain_member_cannot_edit_contacts(client, member, org):
    login(client, member)
    response = client.post(_contacts(org), CONTACTS)
    assert response.status_code == 403
    org.refresh_from_db()
    assert org.privacy_contact_email != CONTACTS["privacy_contact_email"]


def test_admin_edits_contacts_and_it_is_audited(client, org_admin, org):
    login(client, org_admin)
    before = org.privacy_contact_email
    response = client.post(_contacts(org), CONTACTS)
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.breach_contact_email == "soc@acme.example"
    event = AuditEvent.objects.get(action="organisation.updated")
    assert event.actor_id == org_admin.pk
    assert event.organisation_id == org.pk
    assert event.details["before"]["privacy_contact_email"] == before
    assert event.details["after"]["privacy_contact_email"] == "dpo@acme.example"
    assert event.ip == "127.0.0.1"


def test_bad_contact_input_shows_errors_and_changes_nothing(client, org_admin, org):
    login(client, org_admin)
    before = org.privacy_contact_email
    response = client.post(
        _contacts(org), {**CONTACTS, "privacy_contact_email": "not-an-email", "breach_contact_phone": "call me"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter a valid email address." in body
    assert "Enter a phone number" in body
    org.refresh_from_db()
    assert org.privacy_contact_email == before
    assert not AuditEvent.objects.exists()


def test_post_without_csrf_token_is_refused(org_admin, org):
    client = Client(enforce_csrf_checks=True)
    login(client, org_admin)
    response = client.post(_contacts(org), CONTACTS)
    assert response.status_code == 403
    org.refresh_from_db()
    assert org.privacy_contact_email != CONTACTS["privacy_contact_email"]


def test_invite_accept_flow(client, org_admin, org, run_on_commit, mailoutbox):
    # given the admin invites a colleague
    login(client, org_admin)
    response = run_on_commit(
        client.post,
        reverse("organisations:invite", args=[org.public_id]),
        {"email": "New@Acme.example", "role": "member"},
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.email == "new@acme.example"
    assert len(mailoutbox) == 1
    assert str(invitation.token) in mailoutbox[0].body
    # when the colleague signs in and accepts
    colleague = UserFactory(email="new@acme.example")
    login(client, colleague)
    response = client.post(reverse("organisations:invitation", args=[invitation.token]))
    # then
    assert response.status_code == 302
    assert Membership.objects.get(user=colleague, organisation=org).role == "member"
    assert AuditEvent.objects.filter(action="organisation.member_joined").count() == 1


def test_invitation_for_someone_else_is_refused(client, org_admin, org):
    login(client, org_admin)
    client.post(reverse("organisations:invite", args=[org.public_id]), {"email": "new@acme.example", "role": "admin"})
    invitation = Invitation.objects.get()
    intruder = UserFactory(email="intruder@evil.example")
    login(client, intruder)
    response = client.post(reverse("organisations:invitation", args=[invitation.token]), follow=True)
    assert "This invitation was sent to new@acme.example" in response.content.decode()
    assert not Membership.objects.filter(user=intruder).exists()


def test_inviting_an_existing_member_is_a_form_error(client, org_admin, member, org):
    login(client, org_admin)
    response = client.post(
        reverse("organisations:invite", args=[org.public_id]), {"email": member.email, "role": "member"}
    )
    assert response.status_code == 400
    assert "already a member" in response.content.decode()
    assert not OutboundEmail.objects.exists()


def test_last_admin_cannot_demote_themself(client, org_admin, org):
    login(client, org_admin)
    membership = Membership.objects.get(user=org_admin)
    response = client.post(
        reverse("organisations:member", args=[org.public_id, membership.pk]), {"role": "member"}, follow=True
    )
    assert "at least one admin" in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == "admin"


def test_admin_cannot_touch_members_of_another_org(client, org_admin, other_org):
    victim = MembershipFactory(organisation=other_org)
    login(client, org_admin)
    response = client.post(reverse("organisations:member", args=[other_org.public_id, victim.pk]), {"action": "remove"})
    assert response.status_code == 404
    assert Membership.objects.filter(pk=victim.pk).exists()


def test_user_registers_an_organisation_as_self_serve_admin(client, db):
    user = UserFactory()
    login(client, user)
    response = client.post(
        reverse("organisations:new"), {"name": "Newco", "email_domain": "", "privacy_contact_email": ""}
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=user)
    assert membership.role == "admin"
    assert membership.organisation.tier == "self_serve"
