import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from portal.delivery.models import OutboundEmail
from portal.trust import documents as docs
from portal.trust.models import AccessRequest
from tests.auth import login, user_token
from tests.organisations.factories import UserFactory
from tests.trust.factories import AccessRequestFactory, grant, pdf_upload

LIST = "trust:api_access_requests"


@pytest.fixture
def api():
    return APIClient()


def _body(nda, **extra):
    return {
        "company": "Globex",
        "job_role": "CISO",
        "reason": "Review",
        "nda_version": nda.version,
        "accept_nda": True,
        **extra,
    }


def test_anonymous_cannot_list_or_create(api, nda):
    assert api.get(reverse(LIST)).status_code in (401, 403)
    assert api.post(reverse(LIST), _body(nda), format="json").status_code in (401, 403)
    assert not AccessRequest.objects.exists()


def test_customer_sees_only_own_requests(api, nda):
    mine, theirs = AccessRequestFactory(nda_version=nda), AccessRequestFactory(nda_version=nda)
    api.force_authenticate(mine.user)
    data = api.get(reverse(LIST)).json()
    assert [r["id"] for r in data["results"]] == [str(mine.public_id)]
    assert str(theirs.public_id) not in str(data)


def test_legal_staff_see_all(api, legal, nda):
    AccessRequestFactory(nda_version=nda)
    AccessRequestFactory(nda_version=nda, status="denied", denial_reason="x")
    login(api, legal)
    assert api.get(reverse(LIST)).json()["count"] == 2
    assert api.get(reverse(LIST), {"status": "pending"}).json()["count"] == 1


def test_create_with_token_auth(api, nda):
    user = UserFactory()
    api.credentials(HTTP_AUTHORIZATION=f"Token {user_token(user)}")
    response = api.post(reverse(LIST), _body(nda), format="json", HTTP_USER_AGENT="curl/8")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending"
    assert body["nda_version"] == nda.version
    assert AccessRequest.objects.get(user=user).nda_user_agent == "curl/8"
    again = api.post(reverse(LIST), _body(nda), format="json")
    assert again.status_code == 400
    assert "already have a pending" in again.json()["detail"]


@pytest.mark.parametrize(
    ("change", "field"),
    [({"accept_nda": False}, "accept_nda"), ({"job_role": ""}, "job_role"), ({"nda_version": "old"}, "accept_nda")],
)
def test_create_bad_input_is_400_with_field_message(api, nda, change, field):
    api.force_authenticate(UserFactory())
    response = api.post(reverse(LIST), _body(nda, **change), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not AccessRequest.objects.exists()


def test_approve_and_deny_for_legal_staff_only(api, legal, nda):
    req = AccessRequestFactory(nda_version=nda)
    other = AccessRequestFactory(nda_version=nda)
    approve = reverse("trust:api_access_request_approve", args=[req.public_id])
    api.force_authenticate(UserFactory())
    assert api.post(approve, {"level": "nda"}, format="json").status_code == 403
    login(api, legal)
    response = api.post(approve, {"level": "nda", "note": "ok"}, format="json")
    assert response.status_code == 200
    assert response.json()["level"] == "nda"
    deny = reverse("trust:api_access_request_deny", args=[other.public_id])
    assert api.post(deny, {"reason": ""}, format="json").status_code == 400
    assert api.post(deny, {"reason": "No NDA on file"}, format="json").json()["status"] == "denied"
    assert OutboundEmail.objects.filter(template__in=["access_approved", "access_denied"]).count() == 2


def test_legal_without_mfa_cannot_decide(api, legal_no_mfa, nda):
    req = AccessRequestFactory(nda_version=nda)
    login(api, legal_no_mfa)
    response = api.post(
        reverse("trust:api_access_request_approve", args=[req.public_id]), {"level": "nda"}, format="json"
    )
    assert response.status_code == 403
    assert AccessRequest.objects.get(pk=req.pk).status == "pending"


def test_self_approval_refused_over_api(api, legal, nda):
    req = AccessRequestFactory(user=legal, nda_version=nda)
    login(api, legal)
    response = api.post(
        reverse("trust:api_access_request_approve", args=[req.public_id]), {"level": "nda"}, format="json"
    )
    assert response.status_code == 400
    assert "your own access request" in response.json()["detail"]


def test_documents_lists_what_the_caller_may_open(api, legal):
    for level in ("public", "approved", "nda", "enterprise"):
        docs.document_create(
            title=f"Doc {level}", category="other", access_level=level, upload=pdf_upload(), version="1", actor=legal
        )
    titles = lambda: sorted(d["title"] for d in api.get(reverse("trust:api_documents")).json()["results"])  # noqa: E731
    assert titles() == ["Doc public"]
    user = UserFactory()
    grant(user, "approved")
    api.force_authenticate(user)
    assert titles() == ["Doc approved", "Doc public"]
    first = api.get(reverse("trust:api_documents")).json()["results"][0]
    assert first["download_url"].startswith("http://testserver/trust/documents/")


def test_nda_endpoint(api, nda):
    body = api.get(reverse("trust:api_nda")).json()
    assert (body["version"], body["text"]) == (nda.version, nda.body)
