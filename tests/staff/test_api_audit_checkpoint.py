"""Staff API audit checkpoint: the console's Write checkpoint button (the same service, audit event, email and
permission); an unwritable checkpoint storage is a 503 that records nothing."""

import json

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from portal.audit.models import AuditEvent
from portal.evidence.checkpoints import CHECKPOINT_NOT_STORED, audit_checkpoints, checkpoint_storage
from tests.auth import staff_token
from tests.staff.api_callers import WRITE, api_caller

pytestmark = pytest.mark.django_db

URL = reverse("staff:api_staff_audit_checkpoint")


@pytest.fixture
def api(legal):
    return APIClient(HTTP_AUTHORIZATION=f"Token {staff_token(legal)}")


def test_a_checkpoint_is_written_signed_emailed_and_audited_as_from_the_console(
    api, legal, django_capture_on_commit_callbacks
):
    # given
    head = AuditEvent.objects.order_by("-id").first()
    count = AuditEvent.objects.count()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(URL)
    # then
    assert response.status_code == 201
    [checkpoint] = audit_checkpoints()
    body = response.json()
    assert body == {
        "name": checkpoint.name,
        "created_at": body["created_at"],
        "row_count": count,
        "head_id": head.pk if head else None,
        "head_hash": head.hash if head else "",
        "signed": checkpoint.signature is not None,
        "emailed_to": "legal-lead@portal.example",
    }
    assert json.loads(checkpoint.raw)["created_at"] == body["created_at"].replace("+00:00", "Z")
    event = AuditEvent.objects.get(action="audit.checkpoint_written")
    assert (event.actor_id, event.details["trigger"], event.details["file"]) == (legal.pk, "staff", checkpoint.name)
    assert event.details["row_count"] == count
    assert mail.outbox[0].to == ["legal-lead@portal.example"]


def test_an_unwritable_storage_is_503_and_records_nothing(api, settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    settings.STORAGES = {
        **settings.STORAGES,
        "audit_checkpoints": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocker / "checkpoints")},
        },
    }
    response = api.post(URL)
    assert response.status_code == 503
    assert response.json() == {"detail": CHECKPOINT_NOT_STORED}
    assert not AuditEvent.objects.filter(action="audit.checkpoint_written").exists()
    assert not mail.outbox
    assert checkpoint_storage().location == str(blocker / "checkpoints")


def test_the_same_idempotency_key_writes_one_checkpoint(api):
    first = api.post(URL, HTTP_IDEMPOTENCY_KEY="seal-1")
    again = api.post(URL, HTTP_IDEMPOTENCY_KEY="seal-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert AuditEvent.objects.filter(action="audit.checkpoint_written").count() == 1


def test_get_is_not_allowed(api):
    assert api.get(URL).status_code == 405


@pytest.mark.parametrize("who", list(WRITE))
def test_who_may_write_a_checkpoint(who, legal, legal_no_mfa, member):
    api = api_caller(who, legal=legal, legal_no_mfa=legal_no_mfa, member=member, perm="audit.view_auditevent")
    response = api.post(URL)
    assert response.status_code == (WRITE[who] or 201)
    assert len(audit_checkpoints()) == (0 if WRITE[who] else 1)
