import io

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from portal.audit.models import AuditEvent
from portal.core.errors import ApplicationError
from portal.deadlines.calendar import local_date
from portal.trust import documents as docs
from portal.trust.models import AccessRequest, TrustDocument, TrustDocumentVersion
from tests.auth import login
from tests.organisations.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.trust.factories import AccessRequestFactory, grant, pdf_upload

LEVELS = ("public", "approved", "nda", "enterprise")


@pytest.fixture
def library(legal):
    return {
        level: docs.document_create(
            title=f"{level} doc",
            category="other",
            access_level=level,
            upload=pdf_upload(f"{level}.pdf", [f"secret content {level}"]),
            version="1.0",
            actor=legal,
        )
        for level in LEVELS
    }


def _user(kind, nda):
    if kind == "anonymous":
        return None
    user = UserFactory()
    if kind == "pending":
        AccessRequestFactory(user=user, nda_version=nda)
    elif kind == "approved":
        grant(user, "approved")
    elif kind == "nda":
        grant(user, "nda")
    elif kind == "expired":
        g = grant(user, "nda")
        AccessRequest.objects.filter(pk=g.pk).update(expires_at=timezone.now() - timezone.timedelta(minutes=1))
    elif kind == "revoked":
        g = grant(user, "nda")
        AccessRequest.objects.filter(pk=g.pk).update(status="revoked")
    elif kind == "self_serve_nda":
        MembershipFactory(user=user, organisation=OrganisationFactory(tier="self_serve"))
        grant(user, "nda")
    elif kind == "enterprise_approved":
        MembershipFactory(user=user, organisation=OrganisationFactory(tier="enterprise"))
        grant(user, "approved")
    elif kind == "enterprise_no_grant":
        MembershipFactory(user=user, organisation=OrganisationFactory(tier="enterprise"))
    return user


MATRIX = {
    "anonymous": {"public"},
    "pending": {"public"},
    "approved": {"public", "approved"},
    "nda": {"public", "approved", "nda"},
    "expired": {"public"},
    "revoked": {"public"},
    "self_serve_nda": {"public", "approved", "nda"},
    "enterprise_approved": {"public", "approved", "enterprise"},
    "enterprise_no_grant": {"public"},
}


@pytest.mark.parametrize("kind", MATRIX)
def test_download_matrix_and_no_bytes_on_refusal(kind, library, client, nda):
    user = _user(kind, nda)
    if user:
        login(client, user)
    for level, doc in library.items():
        response = client.get(reverse("trust:document_file", args=[doc.public_id]))
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if level in MATRIX[kind]:
            assert response.status_code == 200, (kind, level)
            assert body.startswith(b"%PDF-")
            assert response["Cache-Control"] == "private, no-store"
        else:
            assert response.status_code == (302 if user is None else 403), (kind, level)
            assert b"%PDF" not in body
            assert b"secret content" not in body
    assert AuditEvent.objects.filter(action="document.downloaded").count() == len(MATRIX[kind])


def test_nda_download_is_stamped_on_every_page_and_audited(library, client, nda):
    user = UserFactory(email="reader@acme-health.example")
    grant(user, "nda")
    login(client, user)
    response = client.get(reverse("trust:document_file", args=[library["nda"].public_id]), REMOTE_ADDR="198.51.100.4")
    reader = PdfReader(io.BytesIO(response.content))
    today = local_date(timezone.now()).isoformat()
    assert len(reader.pages) == 2
    for page in reader.pages:
        text = page.extract_text()
        assert "secret content nda" in text
        assert f"downloaded by reader@acme-health.example on {today}" in text
    event = AuditEvent.objects.get(action="document.downloaded")
    assert (event.actor, event.ip) == (user, "198.51.100.4")
    assert event.details["version"] == "1.0"
    assert event.details["stamped"] is True
    assert event.target_id == str(library["nda"].pk)


def test_approved_level_download_is_the_original_file(library, client, nda):
    user = UserFactory()
    grant(user, "approved")
    login(client, user)
    response = client.get(reverse("trust:document_file", args=[library["approved"].public_id]))
    body = b"".join(response.streaming_content)
    version = library["approved"].current_version
    with version.file.open("rb") as fh:
        assert body == fh.read()
    assert 'filename="approved.pdf"' in response["Content-Disposition"]


def test_files_live_in_private_storage(library, settings):
    version = library["public"].current_version
    path = version.file.path
    assert path.startswith(str(settings.PRIVATE_STORAGE_ROOT))
    assert not path.startswith(str(settings.MEDIA_ROOT))
    assert str(settings.STATIC_ROOT) not in path


def test_upload_of_non_pdf_refused_and_nothing_saved(legal, settings):
    fake = SimpleUploadedFile("policy.pdf", b"<html>not a pdf</html>", content_type="application/pdf")
    with pytest.raises(ApplicationError) as exc:
        docs.document_create(title="X", category="other", access_level="public", upload=fake, version="1", actor=legal)
    assert exc.value.message == docs.NOT_PDF
    assert not TrustDocument.objects.exists()
    root = settings.PRIVATE_STORAGE_ROOT
    assert not root.exists() or not any(p.is_file() for p in root.rglob("*"))


def test_upload_of_oversized_file_refused(legal, settings):
    settings.TRUST_DOCUMENT_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.7\n" + b"0" * (1024 * 1024), content_type="application/pdf")
    with pytest.raises(ApplicationError, match="larger than 1 MB"):
        docs.document_create(title="X", category="other", access_level="public", upload=big, version="1", actor=legal)
    assert not TrustDocument.objects.exists()


def test_damaged_pdf_refused(legal):
    broken = SimpleUploadedFile("b.pdf", b"%PDF-1.7\n garbage without objects", content_type="application/pdf")
    with pytest.raises(ApplicationError) as exc:
        docs.document_create(
            title="X", category="other", access_level="public", upload=broken, version="1", actor=legal
        )
    assert exc.value.message == docs.UNREADABLE


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\me\\Pen test 2026 (final).PDF", "Pen-test-2026-final.pdf"),
        ("Sécurité ü.pdf", "Securite-u.pdf"),
        ('a"; filename=evil.exe', "a-filename-evil.exe.pdf"),
        ("....pdf", "document.pdf"),
    ],
)
def test_filename_sanitised(name, expected):
    assert docs.sanitise_filename(name) == expected


def test_replace_keeps_old_version_and_retire_hides(library, legal, client):
    doc = library["public"]
    old = doc.current_version
    new = docs.document_replace(document=doc, upload=pdf_upload(lines=["v2"]), version="2.0", actor=legal)
    doc.refresh_from_db()
    assert doc.current_version == new
    assert TrustDocumentVersion.objects.filter(document=doc).count() == 2
    assert old.file.storage.exists(old.file.name)
    with pytest.raises(ApplicationError, match="already exists"):
        docs.document_replace(document=doc, upload=pdf_upload(), version="2.0", actor=legal)
    docs.document_retire(document=doc, actor=legal)
    assert client.get(reverse("trust:document_file", args=[doc.public_id])).status_code == 403
    assert AuditEvent.objects.filter(action__in=["document.replaced", "document.retired"]).count() == 2


def test_anonymous_user_object_can_open_public_only(library):
    from portal.trust.selectors import user_can_open

    assert [lv for lv in LEVELS if user_can_open(AnonymousUser(), lv)] == ["public"]
