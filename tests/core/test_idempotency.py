"""Idempotency-Key on creating POSTs (portal/core/idempotency.py), through the access-request API."""

import datetime as dt

import pytest
import time_machine
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient
from rest_framework.views import APIView

from portal.core.idempotency import KEY_INVALID, KEY_REUSED, idempotency_sweep, is_idempotent
from portal.core.models import IdempotencyRecord
from portal.delivery.models import OutboundEmail
from portal.trust.models import AccessRequest
from tests.auth import user_token
from tests.organisations.factories import UserFactory

LIST = "trust:api_access_requests"
# POSTs that create nothing and change nothing: a retry is harmless without a key.
NOT_CREATING = {"Verify"}


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def caller(api, db):
    user = UserFactory()
    api.credentials(HTTP_AUTHORIZATION=f"Token {user_token(user)}")
    return user


def _body(nda, **extra):
    return {"company": "Globex", "job_role": "CISO", "reason": "Review", "nda_version": nda.version} | {
        "accept_nda": True,
        **extra,
    }


def test_a_repeat_with_the_same_key_and_body_returns_the_first_answer_and_creates_nothing(api, caller, nda):
    # given
    first = api.post(reverse(LIST), _body(nda), format="json", HTTP_IDEMPOTENCY_KEY="req-1")
    emails = OutboundEmail.objects.count()
    # when
    again = api.post(reverse(LIST), _body(nda), format="json", HTTP_IDEMPOTENCY_KEY="req-1")
    # then
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert AccessRequest.objects.filter(user=caller).count() == 1
    assert OutboundEmail.objects.count() == emails


def test_the_same_key_with_another_body_is_409_and_changes_nothing(api, caller, nda):
    api.post(reverse(LIST), _body(nda), format="json", HTTP_IDEMPOTENCY_KEY="req-1")
    response = api.post(reverse(LIST), _body(nda, reason="Other"), format="json", HTTP_IDEMPOTENCY_KEY="req-1")
    assert response.status_code == 409
    assert response.json() == {"Idempotency-Key": [KEY_REUSED]}
    assert AccessRequest.objects.filter(user=caller).count() == 1


def test_without_a_key_the_rule_answers_the_repeat(api, caller, nda):
    api.post(reverse(LIST), _body(nda), format="json")
    again = api.post(reverse(LIST), _body(nda), format="json")
    assert again.status_code == 400
    assert "already have a pending" in again.json()["detail"]


def test_keys_belong_to_their_user(api, caller, nda):
    api.post(reverse(LIST), _body(nda), format="json", HTTP_IDEMPOTENCY_KEY="shared")
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {user_token(UserFactory())}")
    response = other.post(reverse(LIST), _body(nda), format="json", HTTP_IDEMPOTENCY_KEY="shared")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert AccessRequest.objects.count() == 2


def test_a_refused_request_is_remembered_and_changes_nothing(api, caller, nda):
    bad = _body(nda, job_role="")
    first = api.post(reverse(LIST), bad, format="json", HTTP_IDEMPOTENCY_KEY="k")
    again = api.post(reverse(LIST), bad, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert first.status_code == again.status_code == 400
    assert again.json() == first.json()
    assert "job_role" in first.json()
    assert not AccessRequest.objects.exists()
    assert IdempotencyRecord.objects.get(key="k").status_code == 400


def test_a_crash_stores_no_key_so_the_retry_runs(api, caller, nda, monkeypatch):
    # given: the service fails once (a 500)
    import portal.trust.api as access_api

    real = access_api.access_request_submit

    def boom(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(access_api, "access_request_submit", boom)
    api.raise_request_exception = False
    assert api.post(reverse(LIST), _body(nda), format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 500
    assert not IdempotencyRecord.objects.exists()
    # when: the retry, with the service back
    monkeypatch.setattr(access_api, "access_request_submit", real)
    response = api.post(reverse(LIST), _body(nda), format="json", HTTP_IDEMPOTENCY_KEY="k")
    # then
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert AccessRequest.objects.count() == 1


@pytest.mark.parametrize("key", ["", "with space", "x" * 256, "naïve"])
def test_a_malformed_key_is_400_and_changes_nothing(api, caller, nda, key):
    response = api.post(reverse(LIST), _body(nda), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert response.json() == {"Idempotency-Key": [KEY_INVALID]}
    assert not AccessRequest.objects.exists()


def test_keys_are_forgotten_after_their_lifetime(api, caller, nda, settings):
    settings.IDEMPOTENCY_KEY_HOURS = 24
    start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        api.post(reverse(LIST), _body(nda), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert idempotency_sweep(now=start + dt.timedelta(hours=23, minutes=59)) == 0
    assert idempotency_sweep(now=start + dt.timedelta(hours=24, minutes=1)) == 1
    assert not IdempotencyRecord.objects.exists()


def test_an_expired_key_not_yet_swept_runs_the_request_again(api, caller, nda):
    start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        api.post(reverse(LIST), _body(nda), format="json", HTTP_IDEMPOTENCY_KEY="k")
    AccessRequest.objects.all().delete()
    with time_machine.travel(start + dt.timedelta(days=2), tick=False):
        response = api.post(reverse(LIST), _body(nda), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert AccessRequest.objects.count() == 1


def _api_views(patterns=None, prefix=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _api_views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            view_class = getattr(pattern.callback, "cls", None)
            path = prefix + str(pattern.pattern)
            if view_class and issubclass(view_class, APIView) and path.startswith("api/"):
                yield path, view_class


def test_every_creating_post_of_the_api_accepts_an_idempotency_key():
    missing = [
        f"{path} ({cls.__name__})"
        for path, cls in _api_views()
        if hasattr(cls, "post") and cls.__name__ not in NOT_CREATING and not is_idempotent(cls)
    ]
    assert missing == []


def test_the_schema_documents_the_header_and_the_409(client):
    schema = client.get(reverse("schema"), HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/access-requests/"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in operation["parameters"])
    assert "409" in operation["responses"]
