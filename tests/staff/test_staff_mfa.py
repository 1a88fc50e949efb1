"""One rule for every staff surface: the session's login passed MFA (or the request carries a staff token).

A legal user or superuser who *has* TOTP but signed in with the password only (the Django admin's own login form
used to allow that) sees no staff data in HTML, the admin or the API, and cannot mint a staff token."""

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from portal.audit.models import AuditEvent
from portal.organisations.models import ApiToken
from portal.trust.models import AccessRequest
from tests.auth import login, staff_token, totp_code, user_token
from tests.organisations.factories import PASSWORD, UserFactory, make_legal
from tests.signing.factories import DpaVersionFactory
from tests.trust.factories import AccessRequestFactory, NdaVersionFactory

pytestmark = pytest.mark.django_db

STAFF_PAGES = [
    "staff:home",
    "staff:audit",
    "breaches:staff_list",
    "organisations:staff_tokens",
    "trust:staff_queue",
]


@pytest.fixture
def superuser(db):
    return make_legal(UserFactory(email="root@processor.example", is_staff=True, is_superuser=True))


@pytest.fixture
def draft(db):
    return DpaVersionFactory(label="2099.1", title="Secret draft", change_summary="Not yet public")


# --- the admin's own login form ---------------------------------------------------------------------------


def test_admin_login_goes_through_the_portal_login(client, superuser):
    # when the superuser posts the password to the admin's login form
    response = client.post("/admin/login/?next=/admin/", {"username": superuser.email, "password": PASSWORD})
    # then it is not accepted there: the portal's login (password, then the authenticator code) takes over
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_superuser_signs_in_with_password_and_code_and_reaches_the_admin(client, superuser):
    response = client.post(reverse("account_login"), {"login": superuser.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get(reverse("staff:home")).status_code == 302  # not signed in yet
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(superuser)})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert client.get(reverse("staff:audit")).status_code == 200


# --- password-only sessions -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", STAFF_PAGES)
def test_password_only_session_is_asked_for_the_code_on_every_staff_page(client, superuser, name):
    client.force_login(superuser)  # the session the admin's login form used to create
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('mfa_reauthenticate')}?next={reverse(name).replace('/', '%2F')}"


def test_password_only_session_is_asked_for_the_code_in_the_admin(client, superuser):
    client.force_login(superuser)
    for path in ("/admin/", "/admin/audit/auditevent/", "/admin/auth/user/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(reverse("mfa_reauthenticate"))


def test_confirming_with_the_code_opens_the_staff_pages(client, legal):
    client.force_login(legal)
    target = reverse("staff:audit")
    response = client.post(f"{reverse('mfa_reauthenticate')}?next={target}", {"code": totp_code(legal)})
    assert response.status_code == 302
    assert response["Location"] == target
    assert client.get(target).status_code == 200


def test_a_wrong_code_opens_nothing(client, legal):
    client.force_login(legal)
    response = client.post(reverse("mfa_reauthenticate"), {"code": "000000"})
    assert response.status_code == 200
    assert client.get(reverse("staff:home")).status_code == 302


def test_mfa_passed_by_another_user_in_the_same_session_does_not_count(client, legal, superuser):
    login(client, legal)
    client.force_login(superuser)  # a different user signs in on the same browser, password only
    assert client.get(reverse("staff:home")).status_code == 302


def test_legal_without_totp_is_sent_to_set_it_up(client, legal_no_mfa):
    client.force_login(legal_no_mfa)
    response = client.get(reverse("staff:home"))
    assert response["Location"] == reverse("mfa_activate_totp")


# --- the API: drafts and staff operations -----------------------------------------------------------------


def _clients(legal, legal_no_mfa):
    """Legal callers who must be treated as customers: each as (label, client)."""
    password_only = APIClient()
    password_only.force_login(legal)
    no_totp = APIClient()
    login(no_totp, legal_no_mfa)
    plain_token = APIClient(HTTP_AUTHORIZATION=f"Token {user_token(legal)}")
    return [("password-only session", password_only), ("no TOTP", no_totp), ("non-staff token", plain_token)]


def test_drafts_stay_hidden_from_legal_callers_without_mfa(legal, legal_no_mfa, draft):
    for label, api in _clients(legal, legal_no_mfa):
        listing = api.get(reverse("versions:api_list"))
        assert listing.status_code == 200, label
        assert "2099.1" not in listing.content.decode(), label
        assert api.get(reverse("versions:api_detail", args=["2099.1"])).status_code == 404, label


def test_drafts_are_shown_with_mfa_session_and_staff_token(legal, draft):
    session = APIClient()
    login(session, legal)
    token = APIClient(HTTP_AUTHORIZATION=f"Token {staff_token(legal, scope='read')}")
    for api in (session, token):
        assert "2099.1" in api.get(reverse("versions:api_list")).content.decode()
        assert api.get(reverse("versions:api_detail", args=["2099.1"])).json()["body"]


def test_every_staff_api_operation_refuses_legal_without_mfa(legal, legal_no_mfa, draft):
    nda = NdaVersionFactory()
    pending = AccessRequestFactory(nda_version=nda)
    for label, api in _clients(legal, legal_no_mfa):
        calls = [
            api.post(reverse("versions:api_publish", args=["2099.1"])),
            api.patch(reverse("versions:api_detail", args=["2099.1"]), {"title": "x"}, format="json"),
            api.post(reverse("versions:api_list"), {"label": "2099.2", "body": "x"}, format="json"),
            api.post(reverse("trust:api_access_request_approve", args=[pending.public_id]), {}, format="json"),
            api.post(
                reverse("trust:api_access_request_deny", args=[pending.public_id]), {"reason": "x"}, format="json"
            ),
        ]
        assert [c.status_code for c in calls] in ([403] * 5, [403, 404, 403, 403, 403]), label
        listing = api.get(reverse("trust:api_access_requests")).json()
        assert listing["count"] == 0, label  # their own requests only, not the queue
    pending.refresh_from_db()
    draft.refresh_from_db()
    assert pending.status == AccessRequest.Status.PENDING
    assert draft.status == "draft"


def test_staff_token_reaches_the_staff_operations(legal, draft):
    api = APIClient(HTTP_AUTHORIZATION=f"Token {staff_token(legal)}")
    assert api.post(reverse("versions:api_publish", args=["2099.1"])).status_code == 200


def test_staff_token_stops_working_for_staff_when_mfa_is_removed(legal, draft):
    from allauth.mfa.models import Authenticator

    api = APIClient(HTTP_AUTHORIZATION=f"Token {staff_token(legal, scope='read')}")
    Authenticator.objects.filter(user=legal).delete()  # removed outside allauth's views (no signal)
    assert "2099.1" not in api.get(reverse("versions:api_list")).content.decode()


# --- minting a staff token ---------------------------------------------------------------------------------


def test_a_staff_token_cannot_be_minted_from_a_password_only_session(client, legal):
    client.force_login(legal)
    response = client.post(
        reverse("organisations:token"), {"name": "sync", "scope": "write", "days": 30, "staff": "on"}
    )
    assert response.status_code == 400
    assert "confirmed with your authenticator app" in response.content.decode()
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.filter(action="api_token.created").exists()


def test_a_staff_token_is_minted_after_mfa_and_expires_within_30_days(client, legal):
    login(client, legal)
    refused = client.post(reverse("organisations:token"), {"name": "sync", "scope": "write", "days": 90, "staff": "on"})
    assert refused.status_code == 400
    assert "Staff tokens expire within 30 days" in refused.content.decode()
    response = client.post(
        reverse("organisations:token"), {"name": "sync", "scope": "write", "days": 30, "staff": "on"}
    )
    assert response.status_code == 201
    token = ApiToken.objects.get()
    assert token.staff
    assert abs(token.expiry - token.created - dt.timedelta(days=30)) < dt.timedelta(seconds=5)


def test_customers_cannot_ask_for_a_staff_token(client, member):
    login(client, member)
    response = client.post(reverse("organisations:token"), {"name": "x", "scope": "read", "days": 30, "staff": "on"})
    assert response.status_code == 201
    assert not ApiToken.objects.get().staff
    assert "Staff token" not in client.get(reverse("organisations:token")).content.decode()
