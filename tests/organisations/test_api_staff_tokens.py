"""Staff API of API tokens: every user's tokens (never a key), one token, revoking one as the console's Revoke button
(the same service, audit event and permissions), and a token revoking itself says so."""

import datetime as dt
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.urls import reverse
from rest_framework.test import APIClient

from portal.audit.models import AuditEvent
from portal.organisations.models import ApiToken
from portal.organisations.tokens import TOKEN_ALREADY_REVOKED
from tests.auth import staff_token, user_token
from tests.staff.api_callers import READ, WRITE, api_caller

pytestmark = pytest.mark.django_db

LIST = reverse("organisations:api_staff_tokens")


def _detail(token) -> str:
    return reverse("organisations:api_staff_token", args=[token.public_id])


def _revoke(token) -> str:
    return reverse("organisations:api_staff_token_revoke", args=[token.public_id])


@pytest.fixture
def keys(legal):
    """The key of the caller's own staff token (named "staff script")."""
    return {"caller": staff_token(legal, name="staff script")}


@pytest.fixture
def api(keys):
    return APIClient(HTTP_AUTHORIZATION=f"Token {keys['caller']}")


@pytest.fixture
def member_token(member):
    key = user_token(member, name="member sync", scope="read")
    return ApiToken.objects.get(name="member sync"), key


def test_list_shows_every_token_newest_first_and_never_a_key(api, legal, member, member_token, keys):
    token, key = member_token
    response = api.get(LIST)
    assert response.status_code == 200
    body = response.json()
    assert [t["name"] for t in body["results"]] == ["member sync", "staff script"]
    row = body["results"][0]
    assert dt.datetime.fromisoformat(row.pop("created_at")) == token.created
    assert dt.datetime.fromisoformat(row.pop("expires_at")) == token.expiry
    assert row == {
        "id": str(token.public_id),
        "name": "member sync",
        "owner": member.email,
        "prefix": key[:8],
        "scope": "read",
        "staff": False,
        "expired": False,
        "last_used_at": None,
        "last_used_ip": None,
        "console_url": f"{settings.SITE_URL}{reverse('organisations:staff_tokens')}?{urlencode({'q': member.email})}",
    }
    assert body["results"][1]["staff"] is True
    assert body["results"][1]["last_used_at"] is not None  # this very request
    text = response.content.decode()
    assert key not in text
    assert keys["caller"] not in text
    assert token.digest not in text


@pytest.mark.parametrize(
    ("query", "expected"),
    [({"staff": "true"}, ["staff script"]), ({"staff": "false"}, ["member sync"]), ({"q": "SYNC"}, ["member sync"])],
)
def test_list_filters(api, member_token, legal, query, expected):
    assert [t["name"] for t in api.get(LIST, query).json()["results"]] == expected


def test_list_filters_by_owner_email(api, member_token, member):
    assert [t["owner"] for t in api.get(LIST, {"q": member.email}).json()["results"]] == [member.email]


def test_a_bad_filter_is_400(api):
    response = api.get(LIST, {"staff": "maybe"})
    assert response.status_code == 400
    assert response.json() == {"staff": ["Must be a valid boolean."]}


def test_list_queries_do_not_grow_with_rows(api, django_assert_max_num_queries):
    from tests.organisations.factories import UserFactory

    for n in range(30):
        user_token(UserFactory(), name=f"script {n}")
    with django_assert_max_num_queries(10):
        response = api.get(LIST, {"page_size": 40})
    assert len(response.json()["results"]) == 31


def test_one_token_and_an_unknown_one(api, member_token):
    assert api.get(_detail(member_token[0])).json()["name"] == "member sync"
    assert (
        api.get(reverse("organisations:api_staff_token", args=["6c1f0a52-1f7e-4f4c-9a43-0d3e8f5b2a11"])).status_code
        == 404
    )


# --- revoke ---


def test_revoke_is_audited_as_in_the_console_and_the_token_stops_working(api, legal, member, member_token):
    token, key = member_token
    response = api.post(_revoke(token), {}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["current_token"]) == (str(token.public_id), False)
    assert body["detail"] == f"Token “member sync” of {member.email} was revoked."
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    event = AuditEvent.objects.get(action="api_token.revoked")
    assert event.actor == legal
    assert event.target_id == str(token.public_id)
    assert event.details == {**event.details, "owner": member.email, "reason": "revoked by legal staff"}
    assert APIClient(HTTP_AUTHORIZATION=f"Token {key}").get(reverse("trust:api_access_requests")).status_code == 401


def test_revoke_with_a_reason_records_it(api, member_token):
    response = api.post(_revoke(member_token[0]), {"reason": "Key pasted into a ticket."}, format="json")
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="api_token.revoked")
    assert event.details["reason"] == "revoked by legal staff: Key pasted into a ticket."


def test_revoking_the_token_of_the_request_says_so_and_it_stops_working(api, legal):
    own = ApiToken.objects.get(name="staff script")
    response = api.post(_revoke(own), {"reason": "rotating"}, format="json")
    assert response.status_code == 200
    assert response.json()["current_token"] is True
    assert "It is the token this request was made with" in response.json()["detail"]
    assert not ApiToken.objects.filter(pk=own.pk).exists()
    assert AuditEvent.objects.get(action="api_token.revoked").details["reason"] == "revoked by legal staff: rotating"
    assert api.get(LIST).status_code == 401


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"reason": 5 * "x" * 101}, {"reason": ["Ensure this field has no more than 500 characters."]}),
        ({"reason": ["list"]}, {"reason": ["Not a valid string."]}),
    ],
)
def test_bad_input_is_400_and_revokes_nothing(api, member_token, data, errors):
    response = api.post(_revoke(member_token[0]), data, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert ApiToken.objects.filter(pk=member_token[0].pk).exists()
    assert not AuditEvent.objects.filter(action="api_token.revoked").exists()


def test_revoking_a_revoked_or_unknown_token_is_404(api, member_token):
    token = member_token[0]
    assert api.post(_revoke(token), {}, format="json").status_code == 200
    assert api.post(_revoke(token), {}, format="json").status_code == 404
    assert AuditEvent.objects.filter(action="api_token.revoked").count() == 1


def test_the_service_refuses_a_token_revoked_meanwhile(member_token, legal):
    from portal.core.errors import ApplicationError
    from portal.organisations.tokens import api_token_revoke, staff_revoke_reason

    token = member_token[0]
    ApiToken.objects.filter(pk=token.pk).delete()
    with pytest.raises(ApplicationError, match=TOKEN_ALREADY_REVOKED):
        api_token_revoke(token=token, actor=legal, reason=staff_revoke_reason())


def test_revoke_with_the_same_idempotency_key_revokes_once(api, member_token):
    url = _revoke(member_token[0])
    first = api.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="revoke-sync")
    again = api.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="revoke-sync")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert AuditEvent.objects.filter(action="api_token.revoked").count() == 1


# --- who may call them ---


@pytest.mark.parametrize("who", list(READ))
def test_who_may_read(who, legal, legal_no_mfa, member, member_token):
    api = api_caller(who, legal=legal, legal_no_mfa=legal_no_mfa, member=member, perm="organisations.view_apitoken")
    for url in (LIST, _detail(member_token[0])):
        response = api.get(url)
        assert response.status_code == (READ[who] or 200)
        if READ[who]:
            assert "member sync" not in response.content.decode()


@pytest.mark.parametrize("who", list(WRITE))
def test_who_may_revoke(who, legal, legal_no_mfa, member, member_token):
    api = api_caller(who, legal=legal, legal_no_mfa=legal_no_mfa, member=member, perm="organisations.delete_apitoken")
    response = api.post(_revoke(member_token[0]), {}, format="json")
    assert response.status_code == (WRITE[who] or 200)
    assert ApiToken.objects.filter(pk=member_token[0].pk).exists() == bool(WRITE[who])
