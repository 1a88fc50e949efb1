"""Staff API of trust documents (portal/trust/api_staff_documents.py): upload, edit, replace and retire through the
console's services, with the same file checks and audit events."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from portal.audit.models import AuditEvent
from portal.trust import documents as docs
from portal.trust.models import TrustDocument, TrustDocumentVersion
from tests.auth import login, staff_token
from tests.organisations.staff_api import ROLES, act_as, expected_status, legal_without
from tests.trust.factories import pdf_upload

LIST = "trust:api_staff_documents"


@pytest.fixture
def api():
    return APIClient()


def _upload(**extra):
    return {
        "title": "Penetration test summary",
        "category": "pentest",
        "access_level": "nda",
        "version": "2026.1",
        "file": pdf_upload("Pentest 2026.pdf"),
        **extra,
    }


def _doc(title="Security policy", access_level="approved", category="security_policy", actor=None):
    return docs.document_create(
        title=title, category=category, access_level=access_level, upload=pdf_upload(), version="1", actor=actor
    )


def _url(name, doc):
    return reverse(f"trust:api_staff_document{name}", args=[doc.public_id])


def test_list_shows_retired_documents_too_listed_first_in_bounded_queries(api, legal, django_assert_max_num_queries):
    # given
    retired = docs.document_retire(document=_doc("Old policy"), actor=legal)
    listed = [_doc(f"Policy {i}", actor=legal) for i in range(4)]
    login(api, legal)
    # when
    with django_assert_max_num_queries(10):
        body = api.get(reverse(LIST)).json()
    # then
    assert [d["id"] for d in body["results"]] == [*(str(d.public_id) for d in listed), str(retired.public_id)]
    first = body["results"][0]
    assert (first["state"], first["current_version"]["version"], first["current_version"]["uploaded_by"]) == (
        "listed",
        "1",
        legal.email,
    )
    assert first["console_url"].endswith(f"/staff/documents/{listed[0].public_id}/")
    assert body["results"][-1]["state"] == "retired"
    query = lambda **q: [d["title"] for d in api.get(reverse(LIST), q).json()["results"]]  # noqa: E731
    assert query(state="retired") == ["Old policy"]
    assert query(q="policy 3") == ["Policy 3"]
    assert query(category="pentest") == []


@pytest.mark.parametrize("params", [{"state": "gone"}, {"category": "memo"}, {"access_level": "secret"}])
def test_list_bad_filter_is_400_with_the_fields_message(api, legal, params):
    login(api, legal)
    response = api.get(reverse(LIST), params)
    assert response.status_code == 400
    assert set(response.json()) == set(params)


def test_upload_a_document_as_the_console(api, legal):
    login(api, legal)
    response = api.post(reverse(LIST), _upload(), format="multipart")
    assert response.status_code == 201
    body = response.json()
    doc = TrustDocument.objects.get()
    assert body["id"] == str(doc.public_id)
    assert (body["access_level"], body["state"], body["current_version"]["filename"]) == (
        "nda",
        "listed",
        "Pentest-2026.pdf",
    )
    assert [v["version"] for v in body["versions"]] == ["2026.1"]
    assert doc.current_version.file.storage.exists(doc.current_version.file.name)
    event = AuditEvent.objects.get(action="document.created")
    assert event.actor_id == legal.pk


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (SimpleUploadedFile("x.pdf", b"MZ\x90\x00", content_type="application/pdf"), docs.NOT_PDF),
        (SimpleUploadedFile("b.pdf", b"%PDF-1.7\n garbage", content_type="application/pdf"), docs.UNREADABLE),
        (SimpleUploadedFile("big.pdf", b"%PDF-1.7\n" + b"0" * (1024 * 1024)), docs.TOO_LARGE.format(limit=1)),
        (SimpleUploadedFile("empty.pdf", b""), None),
    ],
)
def test_upload_of_a_bad_file_is_400_on_file_and_saves_nothing(api, legal, settings, file, message):
    settings.TRUST_DOCUMENT_MAX_BYTES = 1024 * 1024
    login(api, legal)
    response = api.post(reverse(LIST), _upload(file=file), format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()
    if message:
        assert response.json()["file"] == [message]
    assert not TrustDocument.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(("field", "value"), [("category", "memo"), ("access_level", "secret"), ("title", "")])
def test_upload_with_bad_fields_is_400(api, legal, field, value):
    login(api, legal)
    response = api.post(reverse(LIST), _upload(**{field: value}), format="multipart")
    assert response.status_code == 400
    assert field in response.json()
    assert not TrustDocument.objects.exists()


def test_an_upload_retried_with_the_same_key_creates_one_document(api, legal):
    api.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(legal)}")
    first = api.post(reverse(LIST), _upload(), format="multipart", HTTP_IDEMPOTENCY_KEY="upload-1")
    again = api.post(reverse(LIST), _upload(), format="multipart", HTTP_IDEMPOTENCY_KEY="upload-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert TrustDocument.objects.count() == 1
    assert AuditEvent.objects.filter(action="document.created").count() == 1


def test_edit_details_is_audited(api, legal):
    doc = _doc()
    login(api, legal)
    response = api.patch(_url("", doc), {"access_level": "nda", "title": "Security policy 2026"}, format="json")
    assert response.status_code == 200
    assert (response.json()["access_level"], response.json()["title"]) == ("nda", "Security policy 2026")
    event = AuditEvent.objects.get(action="document.updated")
    assert event.details["after"] == {"access_level": "nda", "title": "Security policy 2026"}
    refused = api.patch(_url("", doc), {"access_level": "secret"}, format="json")
    assert refused.status_code == 400
    assert TrustDocument.objects.get().access_level == "nda"


def test_replace_makes_a_new_current_version_and_keeps_the_old(api, legal):
    doc = _doc()
    old = doc.current_version
    login(api, legal)
    response = api.post(_url("_replace", doc), {"version": "2", "file": pdf_upload(lines=["v2"])}, format="multipart")
    assert response.status_code == 200
    assert response.json()["current_version"]["version"] == "2"
    assert [v["version"] for v in response.json()["versions"]] == ["2", "1"]
    assert old.file.storage.exists(old.file.name)
    assert AuditEvent.objects.filter(action="document.replaced", actor=legal).count() == 1
    # the same version again, a bad file, a missing version: 400, nothing added
    again = api.post(_url("_replace", doc), {"version": "2", "file": pdf_upload()}, format="multipart")
    assert again.json() == {"version": [docs.VERSION_EXISTS.format(version="2")]}
    bad = SimpleUploadedFile("x.pdf", b"not a pdf")
    assert api.post(_url("_replace", doc), {"version": "3", "file": bad}, format="multipart").json() == {
        "file": [docs.NOT_PDF]
    }
    assert "version" in api.post(_url("_replace", doc), {"file": pdf_upload()}, format="multipart").json()
    assert TrustDocumentVersion.objects.count() == 2


def test_retire_hides_it_and_a_retired_document_cannot_be_replaced(api, legal):
    doc = _doc()
    login(api, legal)
    response = api.post(_url("_retire", doc))
    assert response.status_code == 200
    assert response.json()["state"] == "retired"
    assert AuditEvent.objects.filter(action="document.retired", actor=legal).count() == 1
    assert api.post(_url("_retire", doc)).status_code == 200
    refused = api.patch(_url("", doc), {"category": ""}, format="multipart")
    assert refused.status_code == 415  # JSON only: a form would read an empty choice as "not sent"
    assert AuditEvent.objects.filter(action="document.retired").count() == 1
    refused = api.post(_url("_replace", doc), {"version": "2", "file": pdf_upload()}, format="multipart")
    assert refused.json() == {"detail": docs.RETIRED}
    assert api.get(_url("", TrustDocument(public_id="00000000-0000-0000-0000-000000000000"))).status_code == 404


def _operation(name, doc):
    return {
        "list": ("get", reverse(LIST), None, 200, "json"),
        "read": ("get", _url("", doc), None, 200, "json"),
        "upload": ("post", reverse(LIST), _upload(title="New"), 201, "multipart"),
        "edit": ("patch", _url("", doc), {"title": "Edited"}, 200, "json"),
        "replace": ("post", _url("_replace", doc), {"version": "2", "file": pdf_upload()}, 200, "multipart"),
        "retire": ("post", _url("_retire", doc), {}, 200, "json"),
    }[name]


def _changed(doc) -> bool:
    doc.refresh_from_db()
    return (
        TrustDocument.objects.count() > 1 or doc.title == "Edited" or doc.versions.count() > 1 or bool(doc.retired_at)
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", ["list", "read", "upload", "edit", "replace", "retire"])
def test_permission_matrix(api, db, role, operation, request):
    doc = _doc()
    method, url, body, ok, format = _operation(operation, doc)
    act_as(api, role, request)
    response = getattr(api, method)(url, body, format=format)
    assert response.status_code == expected_status(role, ok=ok, write=method != "get")
    assert _changed(doc) == (method != "get" and response.status_code == ok)


@pytest.mark.parametrize(
    ("perm", "operation"),
    [
        ("trust.view_trustdocument", "list"),
        ("trust.add_trustdocument", "upload"),
        ("trust.change_trustdocument", "edit"),
        ("trust.change_trustdocument", "replace"),
        ("trust.change_trustdocument", "retire"),
    ],
)
def test_legal_without_the_consoles_permission_is_refused(api, legal, perm, operation):
    doc = _doc()
    method, url, body, _, format = _operation(operation, doc)
    legal_without(perm)
    login(api, legal)
    response = getattr(api, method)(url, body, format=format)
    assert response.status_code == 403
    assert perm in response.json()["detail"]
    assert not _changed(doc)
