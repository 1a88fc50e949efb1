"""Staff API bulk approval of access requests: the console queue's bulk approval (the same service, rules, emails and
audit events as a single approval), with what was skipped and why."""

import uuid

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from portal.audit.models import AuditEvent
from portal.delivery.models import OutboundEmail
from portal.trust import services as svc
from portal.trust.api_staff import BULK_SELECT_ONE, BULK_UNKNOWN
from portal.trust.models import AccessRequest
from portal.trust.services import default_expiry
from tests.auth import staff_token
from tests.staff.api_callers import WRITE, api_caller
from tests.trust.factories import AccessRequestFactory

pytestmark = pytest.mark.django_db

URL = reverse("trust:api_staff_access_requests_bulk_approve")


@pytest.fixture
def api(legal):
    return APIClient(HTTP_AUTHORIZATION=f"Token {staff_token(legal)}")


@pytest.fixture
def pending(nda):
    return [AccessRequestFactory(nda_version=nda) for _ in range(2)]


def test_bulk_approve_approves_each_as_the_console_with_the_default_expiry(api, legal, pending):
    # when
    response = api.post(URL, {"ids": [str(r.public_id) for r in pending], "level": "nda"}, format="json")
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["skipped"] == []
    assert [r["id"] for r in body["approved"]] == [str(r.public_id) for r in pending]
    assert {(r["status"], r["level"], r["decided_by"]) for r in body["approved"]} == {("approved", "nda", legal.email)}
    for req in pending:
        req.refresh_from_db()
        assert (req.status, req.level, req.decided_by) == ("approved", "nda", legal)
        assert timezone.localdate(req.expires_at) == timezone.localdate(default_expiry())
    events = AuditEvent.objects.filter(action="access.approved")
    assert events.count() == 2
    assert {(e.actor_id, e.details["level"]) for e in events} == {(legal.pk, "nda")}
    assert OutboundEmail.objects.filter(template="access_approved").count() == 2


def test_bulk_approve_skips_what_the_rules_refuse_and_unknown_ids_and_approves_the_rest(api, legal, nda, pending):
    # given a decided request, the caller's own, and an id no request has
    decided = AccessRequestFactory(nda_version=nda, status="denied", denial_reason="x")
    own = AccessRequestFactory(user=legal, nda_version=nda)
    unknown = uuid.uuid4()
    ids = [pending[0].public_id, decided.public_id, own.public_id, unknown, pending[0].public_id]
    # when
    response = api.post(URL, {"ids": [str(i) for i in ids], "level": "approved"}, format="json")
    # then
    assert response.status_code == 200
    body = response.json()
    assert [r["id"] for r in body["approved"]] == [str(pending[0].public_id)]
    skipped = {s["id"]: s for s in body["skipped"]}
    assert skipped[str(decided.public_id)] == {
        "id": str(decided.public_id),
        "reference": decided.reference,
        "email": decided.user.email,
        "detail": svc.NOT_PENDING,
    }
    assert skipped[str(own.public_id)]["detail"] == svc.SELF_DECISION
    assert skipped[str(unknown)] == {"id": str(unknown), "reference": None, "email": None, "detail": BULK_UNKNOWN}
    assert len(body["skipped"]) == 3
    assert AccessRequest.objects.get(pk=own.pk).status == "pending"
    assert AccessRequest.objects.get(pk=pending[1].pk).status == "pending"  # not selected
    assert AuditEvent.objects.filter(action="access.approved").count() == 1


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"ids": [], "level": "nda"}, {"ids": [BULK_SELECT_ONE]}),
        ({"level": "nda"}, {"ids": ["This field is required."]}),
        ({"ids": ["AR-1234"], "level": "nda"}, {"ids": {"0": ["Must be a valid UUID."]}}),
        ({"ids": "PENDING", "level": "nda"}, {"ids": ['Expected a list of items but got type "str".']}),
        ({"ids": ["PENDING"]}, {"level": ["This field is required."]}),
        ({"ids": ["PENDING"], "level": "gold"}, {"level": ['"gold" is not a valid choice.']}),
        ({"ids": ["PENDING"] * 201, "level": "nda"}, {"ids": ["Ensure this field has no more than 200 elements."]}),
    ],
)
def test_bad_input_is_400_with_the_field_message_and_approves_nothing(api, pending, body, errors):
    if "ids" in body and isinstance(body["ids"], list):
        body = {**body, "ids": [str(pending[0].public_id) if i == "PENDING" else i for i in body["ids"]]}
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert set(AccessRequest.objects.values_list("status", flat=True)) == {"pending"}
    assert not AuditEvent.objects.filter(action__startswith="access.").exists()


def test_bulk_approve_with_the_same_idempotency_key_approves_once(api, pending):
    body = {"ids": [str(pending[0].public_id)], "level": "nda"}
    first = api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="bulk-1")
    again = api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="bulk-1")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert AuditEvent.objects.filter(action="access.approved").count() == 1


@pytest.mark.parametrize("who", list(WRITE))
def test_who_may_bulk_approve(who, legal, legal_no_mfa, member, pending):
    api = api_caller(who, legal=legal, legal_no_mfa=legal_no_mfa, member=member, perm="trust.decide_accessrequest")
    response = api.post(URL, {"ids": [str(pending[0].public_id)], "level": "nda"}, format="json")
    assert response.status_code == (WRITE[who] or 200)
    assert AccessRequest.objects.get(pk=pending[0].pk).status == ("pending" if WRITE[who] else "approved")
