"""Personal API tokens: hashed, named, scoped, expiring, revocable; revoked by a password change or MFA removal."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from portal.audit.models import AuditEvent
from portal.organisations.authentication import LEGACY_TOKEN_MESSAGE, READ_ONLY_MESSAGE
from portal.organisations.models import ApiToken
from tests.auth import login, totp_code, user_token
from tests.organisations.factories import PASSWORD, UserFactory
from tests.trust.factories import NdaVersionFactory

pytestmark = pytest.mark.django_db

READ_URL = "trust:api_access_requests"


def _mint(client, **data):
    return client.post(
        reverse("organisations:token"), {"name": "procurement sync", "scope": "read", "days": 90, **data}
    )


def _api(key):
    return APIClient(HTTP_AUTHORIZATION=f"Token {key}")


def test_the_key_is_shown_once_and_only_its_hash_is_stored(client, member):
    login(client, member)
    response = _mint(client)
    assert response.status_code == 201
    token = ApiToken.objects.get()
    key = response.context["new_key"]
    assert key in response.content.decode()
    assert key not in client.get(reverse("organisations:token")).content.decode()
    # nothing in the database holds the key: the row has a SHA-512 digest and the first 15 characters
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM organisations_apitoken")
        stored = " ".join(str(v) for v in cursor.fetchone())
    assert key not in stored
    assert len(token.digest) == 128
    assert (token.name, token.scope, token.staff) == ("procurement sync", "read", False)
    assert _api(key).get(reverse(READ_URL)).status_code == 200
    event = AuditEvent.objects.get(action="api_token.created")
    assert event.target_id == str(token.public_id)
    assert key not in str(event.details)
    assert token.digest not in str(event.details)


def test_default_expiry_is_90_days_and_an_expired_token_is_refused(client, member):
    login(client, member)
    key = _mint(client).context["new_key"]
    token = ApiToken.objects.get()
    assert abs(token.expiry - timezone.now() - dt.timedelta(days=90)) < dt.timedelta(minutes=1)
    with time_machine.travel(token.expiry - dt.timedelta(minutes=1)):
        assert _api(key).get(reverse(READ_URL)).status_code == 200
    with time_machine.travel(token.expiry + dt.timedelta(minutes=1)):
        response = _api(key).get(reverse(READ_URL))
    assert response.status_code == 401
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "This field is required"),
        ({"name": "  "}, "This field is required"),
        ({"days": 400}, "Select a valid choice"),
        ({"scope": "admin"}, "Select a valid choice"),
    ],
)
def test_bad_input_is_a_form_error_and_mints_nothing(client, member, data, message):
    login(client, member)
    response = _mint(client, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ApiToken.objects.exists()


def test_at_most_the_configured_number_of_active_tokens(client, member, settings):
    settings.API_TOKEN_MAX_PER_USER = 2
    login(client, member)
    assert _mint(client).status_code == 201
    assert _mint(client).status_code == 201
    response = _mint(client)
    assert response.status_code == 400
    assert "You have 2 active tokens" in response.content.decode()
    assert ApiToken.objects.count() == 2


def test_a_read_only_token_cannot_write(member):
    NdaVersionFactory()
    api = _api(user_token(member, scope="read"))
    response = api.post(reverse(READ_URL), {"company": "x"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": READ_ONLY_MESSAGE}


def test_revoked_token_is_refused_and_the_revocation_audited(client, member):
    login(client, member)
    key = _mint(client).context["new_key"]
    token = ApiToken.objects.get()
    response = client.post(reverse("organisations:token_revoke", args=[token.public_id]))
    assert response.status_code == 302
    assert _api(key).get(reverse(READ_URL)).status_code == 401
    event = AuditEvent.objects.get(action="api_token.revoked")
    assert event.details["reason"] == "revoked by its owner"


def test_nobody_revokes_another_users_token(client, member, other_member):
    user_token(other_member)
    token = ApiToken.objects.get()
    login(client, member)
    assert client.post(reverse("organisations:token_revoke", args=[token.public_id])).status_code == 404
    assert ApiToken.objects.filter(pk=token.pk).exists()
    assert other_member.email not in client.get(reverse("organisations:token")).content.decode()


def test_a_password_change_through_the_account_page_revokes_every_token(client, member):
    keys = [user_token(member), user_token(member, name="second")]
    login(client, member)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": "a-new-long-passphrase-7", "password2": "a-new-long-passphrase-7"},
    )
    assert response.status_code == 302
    assert not ApiToken.objects.exists()
    assert AuditEvent.objects.filter(action="api_token.revoked", details__reason="the password changed").count() == 2
    for key in keys:
        assert _api(key).get(reverse(READ_URL)).status_code == 401


def test_a_password_changed_by_any_other_route_also_stops_the_token(member):
    key = user_token(member)
    member.set_password("changed-in-the-admin-9")  # admin form, manage.py changepassword, shell: no allauth signal
    member.save()
    response = _api(key).get(reverse(READ_URL))
    assert response.status_code == 401
    assert "the password changed" in response.json()["detail"]
    assert not ApiToken.objects.exists()


def test_removing_mfa_revokes_every_token(client, legal):
    key = user_token(legal)
    login(client, legal)
    # allauth asks to confirm with a code before TOTP can be turned off
    client.post(reverse("mfa_reauthenticate"), {"code": totp_code(legal)})
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_index")
    assert not ApiToken.objects.exists()
    assert (
        AuditEvent.objects.get(action="api_token.revoked").details["reason"] == "two-factor authentication was removed"
    )
    assert _api(key).get(reverse(READ_URL)).status_code == 401


def test_an_old_plain_text_token_gets_a_clear_message(db):
    response = _api("0123456789abcdef0123456789abcdef01234567").get(reverse(READ_URL))
    assert response.status_code == 401
    assert response.json() == {"detail": LEGACY_TOKEN_MESSAGE}


def test_last_use_is_recorded_at_most_once_a_minute(member, django_assert_max_num_queries):
    key = user_token(member)
    api = _api(key)
    with time_machine.travel(timezone.now(), tick=False):
        api.get(reverse(READ_URL), REMOTE_ADDR="203.0.113.5")
        token = ApiToken.objects.get()
        assert token.last_used_ip == "203.0.113.5"
        first = token.last_used_at
        api.get(reverse(READ_URL), REMOTE_ADDR="203.0.113.5")
        assert ApiToken.objects.get().last_used_at == first
    with time_machine.travel(first + dt.timedelta(minutes=2)):
        api.get(reverse(READ_URL), REMOTE_ADDR="203.0.113.5")
    assert ApiToken.objects.get().last_used_at > first


def test_token_page_needs_a_login(client):
    assert client.get(reverse("organisations:token")).status_code == 302


# --- Staff → API tokens -----------------------------------------------------------------------------------


def test_staff_see_every_token_and_revoke_one(client, legal, member, other_member):
    user_token(member, name="member script")
    user_token(other_member, name="other script")
    login(client, legal)
    body = client.get(reverse("organisations:staff_tokens")).content.decode()
    assert "member script" in body
    assert "other script" in body
    assert member.email in body
    token = ApiToken.objects.get(name="member script")
    response = client.post(reverse("organisations:staff_token_revoke", args=[token.public_id]))
    assert response.status_code == 302
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    event = AuditEvent.objects.get(action="api_token.revoked")
    assert event.actor == legal
    assert event.details == {**event.details, "owner": member.email, "reason": "revoked by legal staff"}


def test_staff_token_list_filters_and_keeps_a_constant_query_count(client, legal, django_assert_max_num_queries):
    login(client, legal)
    user_token(UserFactory(), name="one")
    client.get(reverse("organisations:staff_tokens"))
    with django_assert_max_num_queries(12) as one:
        client.get(reverse("organisations:staff_tokens"))
    for i in range(20):
        user_token(UserFactory(), name=f"many {i}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(reverse("organisations:staff_tokens"))
    assert "many 19" in response.content.decode()
    assert "many 3" not in client.get(reverse("organisations:staff_tokens"), {"q": "one"}).content.decode()


@pytest.mark.parametrize("who", ["member", "legal_no_mfa"])
def test_staff_token_pages_refuse_customers_and_legal_without_mfa(client, request, who):
    user = request.getfixturevalue(who)
    token_owner = UserFactory()
    user_token(token_owner)
    token = ApiToken.objects.get()
    login(client, user)
    assert client.get(reverse("organisations:staff_tokens")).status_code in (302, 403)
    assert client.post(reverse("organisations:staff_token_revoke", args=[token.public_id])).status_code in (302, 403)
    assert ApiToken.objects.filter(pk=token.pk).exists()
