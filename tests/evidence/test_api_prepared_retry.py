"""Staff API retry of a failed prepared file (a PDF rendered by a worker): the console's Retry button (the same
service and rules: legal staff after MFA, holding the permission the file names)."""

import uuid

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from portal.audit.models import AuditEvent
from portal.evidence.models import PreparedFile
from portal.evidence.prepared import NOT_FAILED
from subprocessors.listing.exports import SNAPSHOT_KIND, SNAPSHOT_TASK
from tests.auth import staff_token
from tests.staff.api_callers import WRITE, api_caller

pytestmark = pytest.mark.django_db

PERM = "breaches.view_breachincident"


def _url(job) -> str:
    return reverse("evidence:api_staff_prepared_retry", args=[job.public_id])


@pytest.fixture
def api(legal):
    return APIClient(HTTP_AUTHORIZATION=f"Token {staff_token(legal)}")


@pytest.fixture
def failed():
    return PreparedFile.objects.create(
        kind=SNAPSHOT_KIND,
        key="v1",
        label="Sub-processor list snapshot",
        task_name=SNAPSHOT_TASK,
        task_args=["2026-12-03"],
        permission=PERM,
        status=PreparedFile.Status.FAILED,
        attempts=5,
        error="RuntimeError: WeasyPrint ran out of memory",
        requested_by_label="anonymous visitor",
    )


def test_retry_sends_the_render_again_and_makes_the_caller_its_requester(
    api, legal, failed, django_capture_on_commit_callbacks, monkeypatch
):
    from portal.evidence import enqueue

    sent = []
    monkeypatch.setattr(enqueue, "prepared_file_render", sent.append)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(_url(failed))
    assert response.status_code == 200
    body = response.json()
    assert body.pop("created_at")
    assert body == {
        "id": str(failed.public_id),
        "kind": SNAPSHOT_KIND,
        "label": "Sub-processor list snapshot",
        "status": "pending",
        "attempts": 5,
        "error": "RuntimeError: WeasyPrint ran out of memory",
        "requested_by": legal.email,
    }
    failed.refresh_from_db()
    assert (failed.status, failed.requested_by, failed.next_attempt_at) == ("pending", legal, None)
    assert [job.pk for job in sent] == [failed.pk]
    event = AuditEvent.objects.get(action="evidence.prepared_file_retried")
    assert (event.actor, event.target_id, event.target_type) == (legal, str(failed.pk), "evidence.PreparedFile")
    assert event.details == {
        "kind": SNAPSHOT_KIND,
        "label": "Sub-processor list snapshot",
        "error": "RuntimeError: WeasyPrint ran out of memory",
        "attempts": 5,
    }


@pytest.mark.parametrize("status", ["pending", "ready"])
def test_retrying_a_file_that_did_not_fail_is_400_with_the_service_message(api, failed, status):
    PreparedFile.objects.filter(pk=failed.pk).update(status=status)
    response = api.post(_url(failed))
    assert response.status_code == 400
    label = dict(PreparedFile.Status.choices)[status].lower()
    assert response.json() == {"detail": NOT_FAILED.format(status=label)}
    failed.refresh_from_db()
    assert (failed.status, failed.requested_by_id) == (status, None)
    assert not AuditEvent.objects.filter(action="evidence.prepared_file_retried").exists()


def test_retrying_an_unknown_file_is_404(api):
    assert api.post(reverse("evidence:api_staff_prepared_retry", args=[uuid.uuid4()])).status_code == 404


def test_a_file_that_names_a_permission_nobody_holds_is_403(api, failed):
    PreparedFile.objects.filter(pk=failed.pk).update(permission="evidence.delete_preparedfile")
    response = api.post(_url(failed))
    assert response.status_code == 403
    assert "evidence.delete_preparedfile" in response.json()["detail"]
    failed.refresh_from_db()
    assert failed.status == "failed"


def test_a_file_that_names_no_permission_any_legal_staff_may_retry(api, failed):
    PreparedFile.objects.filter(pk=failed.pk).update(permission="")
    assert api.post(_url(failed)).status_code == 200


def test_retry_with_the_same_idempotency_key_retries_once(api, failed):
    first = api.post(_url(failed), HTTP_IDEMPOTENCY_KEY="retry-pdf")
    again = api.post(_url(failed), HTTP_IDEMPOTENCY_KEY="retry-pdf")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert api.post(_url(failed)).status_code == 400  # a new retry: no longer failed


@pytest.mark.parametrize("who", list(WRITE))
def test_who_may_retry(who, legal, legal_no_mfa, member, failed):
    api = api_caller(who, legal=legal, legal_no_mfa=legal_no_mfa, member=member, perm=PERM)
    response = api.post(_url(failed))
    assert response.status_code == (WRITE[who] or 200)
    failed.refresh_from_db()
    assert failed.status == ("failed" if WRITE[who] else "pending")
    if WRITE[who]:
        assert "WeasyPrint" not in response.content.decode()
