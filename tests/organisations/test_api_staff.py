"""Staff API of organisations (portal/organisations/api_staff.py): the console's list and edit page as JSON."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from portal.audit.models import AuditEvent
from portal.organisations.models import Organisation
from portal.organisations.services import PHONE_INVALID
from tests.auth import login
from tests.organisations.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.organisations.staff_api import ROLES, act_as, expected_status, legal_without

LIST = "organisations:api_staff_organisations"
DETAIL = "organisations:api_staff_organisation"


@pytest.fixture
def api():
    return APIClient()


def _detail(org):
    return reverse(DETAIL, args=[org.public_id])


def test_list_filters_by_tier_and_name_in_a_bounded_number_of_queries(
    api, legal, org, other_org, django_assert_max_num_queries
):
    # given
    Organisation.objects.filter(pk=other_org.pk).update(tier="self_serve")
    MembershipFactory(organisation=org)
    MembershipFactory(organisation=org)
    for _ in range(5):
        MembershipFactory(organisation=OrganisationFactory())
    login(api, legal)
    # when
    with django_assert_max_num_queries(12):
        everything = api.get(reverse(LIST)).json()
    # then
    assert everything["count"] == 7
    names = [o["name"] for o in everything["results"]]
    assert names == sorted(names)
    acme = next(o for o in everything["results"] if o["id"] == str(org.public_id))
    assert acme["member_count"] == 2
    assert acme["console_url"].endswith(f"/staff/organisations/{org.public_id}/")
    assert [o["name"] for o in api.get(reverse(LIST), {"tier": "self_serve"}).json()["results"]] == ["Globex GmbH"]
    assert [o["name"] for o in api.get(reverse(LIST), {"q": "acme"}).json()["results"]] == ["Acme Health B.V."]


def test_list_bad_filter_is_400_with_the_fields_message(api, legal):
    login(api, legal)
    response = api.get(reverse(LIST), {"tier": "platinum"})
    assert response.status_code == 400
    assert "tier" in response.json()


def test_detail_shows_contacts_and_members(api, legal, org, member, org_admin):
    login(api, legal)
    body = api.get(_detail(org)).json()
    assert body["privacy_contact_email"] == org.privacy_contact_email
    assert body["breach_contact_email"] == org.breach_contact_email
    assert sorted((m["email"], m["role"]) for m in body["members"]) == sorted(
        [(member.email, "member"), (org_admin.email, "admin")]
    )
    assert api.get(reverse(DETAIL, args=["00000000-0000-0000-0000-000000000000"])).status_code == 404


def test_patch_tier_is_audited_as_the_console_does(api, legal, org):
    # given
    Organisation.objects.filter(pk=org.pk).update(tier="self_serve")
    login(api, legal)
    # when
    response = api.patch(_detail(org), {"tier": "enterprise", "email_domain": "acme.example"}, format="json")
    # then
    assert response.status_code == 200
    assert (response.json()["tier"], response.json()["email_domain"]) == ("enterprise", "acme.example")
    org.refresh_from_db()
    assert (org.tier, org.email_domain) == ("enterprise", "acme.example")
    event = AuditEvent.objects.get(action="organisation.tier_changed")
    assert event.actor_id == legal.pk
    assert event.organisation_id == org.pk
    assert event.details == {
        "before": {"email_domain": "", "tier": "self_serve"},
        "after": {"email_domain": "acme.example", "tier": "enterprise"},
    }


def test_patch_contacts_changes_only_what_is_sent(api, legal, org):
    login(api, legal)
    before_breach = org.breach_contact_email
    response = api.patch(
        _detail(org),
        {"privacy_contact_email": "dpo@acme.example", "breach_contact_phone": " +31 20 123 4567 "},
        format="json",
    )
    assert response.status_code == 200
    org.refresh_from_db()
    assert (org.privacy_contact_email, org.breach_contact_phone) == ("dpo@acme.example", "+31 20 123 4567")
    assert org.breach_contact_email == before_breach
    event = AuditEvent.objects.get(action="organisation.updated")
    assert event.details["after"] == {
        "breach_contact_phone": "+31 20 123 4567",
        "privacy_contact_email": "dpo@acme.example",
    }
    # nothing changed: nothing audited
    assert api.patch(_detail(org), {"privacy_contact_email": "dpo@acme.example"}, format="json").status_code == 200
    assert AuditEvent.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"breach_contact_phone": "call me"}, "breach_contact_phone", PHONE_INVALID),
        ({"privacy_contact_email": "not-an-email"}, "privacy_contact_email", "Enter a valid email address."),
        ({"tier": "platinum"}, "tier", None),
        ({"tier": "enterprise", "breach_contact_phone": "12"}, "breach_contact_phone", PHONE_INVALID),
    ],
)
def test_patch_bad_input_is_400_and_changes_nothing(api, legal, org, body, field, message):
    Organisation.objects.filter(pk=org.pk).update(tier="self_serve")
    login(api, legal)
    response = api.patch(_detail(org), body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    if message:
        assert response.json()[field] == [message]
    org.refresh_from_db()
    assert org.tier == "self_serve"
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", ["list", "read", "patch"])
def test_permission_matrix(api, org, role, operation, request):
    act_as(api, role, request)
    if operation == "list":
        response = api.get(reverse(LIST))
    elif operation == "read":
        response = api.get(_detail(org))
    else:
        response = api.patch(_detail(org), {"breach_contact_name": "SOC"}, format="json")
    assert response.status_code == expected_status(role, ok=200, write=operation == "patch")
    org.refresh_from_db()
    assert (org.breach_contact_name == "SOC") == (response.status_code == 200 and operation == "patch")


@pytest.mark.parametrize(
    ("perm", "method"), [("organisations.view_organisation", "get"), ("organisations.change_organisation", "patch")]
)
def test_legal_without_the_consoles_permission_is_refused(api, legal, org, perm, method):
    legal_without(perm)
    login(api, legal)
    response = getattr(api, method)(_detail(org), {"tier": "self_serve"}, format="json")
    assert response.status_code == 403
    assert perm in response.json()["detail"]
    org.refresh_from_db()
    assert org.tier == "enterprise"


def test_customer_token_cannot_reach_it(api, org):
    from tests.auth import user_token

    api.credentials(HTTP_AUTHORIZATION=f"Token {user_token(UserFactory())}")
    assert api.get(reverse(LIST)).status_code == 403
