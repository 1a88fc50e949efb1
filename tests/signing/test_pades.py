"""PAdES signatures on the evidence PDFs (executed DPA, breach report) and their verification."""

import io
import subprocess
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import MDPPerm
from pypdf import PdfReader, PdfWriter

from dpa.signing import pdf
from dpa.signing.models import DpaExecution
from dpa.signing.services import dpa_execution_countersign
from portal.core.errors import ApplicationError
from portal.evidence import signing
from portal.evidence.demo import make_demo_signing
from portal.evidence.signatures import verify_pdf
from tests.auth import login
from tests.breaches.factories import make_incident
from tests.pdf import get_prepared
from tests.signing.factories import memoize_pdf, published_version
from tests.signing.test_signing import UA, _request, _sign_data, _sign_page

pytestmark = pytest.mark.django_db
PYHANKO = Path("/work/main/.venv/bin/pyhanko")
SIGNED_BY_US = "Signed by Routewise B.V. on "
ALTERED = "Altered after signing: this is not the document we issued."


@pytest.fixture(autouse=True)
def _fast_pdf(monkeypatch):
    memoize_pdf(monkeypatch)


@pytest.fixture
def version(db):
    return published_version(label="2026.1")


def _awaiting_countersignature(client, org_admin, org):
    execution, token = _request(org_admin, org)
    client.post(_sign_page(token), _sign_data(token), HTTP_USER_AGENT=UA, REMOTE_ADDR="198.51.100.7")
    execution.refresh_from_db()
    return execution


def _countersign(execution, legal):
    return dpa_execution_countersign(
        execution=execution, actor=legal, typed_name="Lena Jansen", title="General Counsel", confirms_authority=True
    )


@pytest.fixture
def executed(client, org_admin, org, legal, version):
    execution = _countersign(_awaiting_countersignature(client, org_admin, org), legal)
    client.logout()
    return execution


def _content(execution) -> bytes:
    with default_storage.open(execution.executed_path, "rb") as fh:
        return fh.read()


def _verify_page(client, content: bytes, name="dpa.pdf"):
    return client.post(reverse("signing:verify"), {"file": SimpleUploadedFile(name, content, "application/pdf")})


def _cli_validate(path: Path, trust: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(PYHANKO), "sign", "validate", "--trust", str(trust), "--trust-replace", "--pretty-print", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- the executed DPA -----------------------------------------------------------------------------------


def test_executed_dpa_is_sealed_with_a_certification_signature(executed, org):
    content = _content(executed)
    assert executed.executed_sha256 == __import__("hashlib").sha256(content).hexdigest()
    [sig] = PdfFileReader(io.BytesIO(content)).embedded_signatures
    assert sig.docmdp_level == MDPPerm.NO_CHANGES
    assert sig.sig_object["/Reason"] == f"Executed DPA 2026.1 between Routewise B.V. and {org.name}"
    # The signature is an incremental update: the rendered agreement + signature page stay a prefix.
    unsigned = pdf.executed_pdf_render(DpaExecution.objects.get(pk=executed.pk))
    assert content.startswith(unsigned)
    check = verify_pdf(content)
    assert check.signed_by_us
    [facts] = check.signatures
    assert facts.certification == "no_changes"
    assert facts.ours
    assert facts.coverage == "entire_file"
    assert not facts.modified_after_signing


def test_executed_dpa_validates_with_the_independent_cli(executed, test_pki, tmp_path):
    path = tmp_path / "executed.pdf"
    path.write_bytes(_content(executed))
    result = _cli_validate(path, test_pki.ca_pem)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "The signature is cryptographically sound." in out
    assert "The signer's certificate is trusted." in out
    assert "The signature covers the entire file." in out
    assert "The signature is judged VALID." in out


def test_cli_without_our_ca_says_untrusted_but_intact(executed, tmp_path):
    path = tmp_path / "executed.pdf"
    path.write_bytes(_content(executed))
    other = make_demo_signing(tmp_path / "other", processor="Someone Else")
    result = _cli_validate(path, other.chain_path)
    assert result.returncode != 0
    assert "The signature is cryptographically sound." in result.stdout
    assert "The signer's certificate is untrusted." in result.stdout


def test_verify_page_reports_our_signature_in_plain_words(client, executed, org):
    body = _verify_page(client, _content(executed)).content.decode()
    assert "Verified" in body  # the hash lookup
    assert org.name in body
    assert "Signed by us" in body
    assert SIGNED_BY_US in body
    assert "; unchanged since." in body
    assert "Certified: no changes permitted" in body
    assert "demo certificate" in body  # the test CA is made like the demo CA, and says so


def test_one_byte_changed_inside_the_signed_range_fails(client, executed):
    content = bytearray(_content(executed))
    # A byte of the agreement's first page, far from the signature's /Contents.
    content[len(content) // 4] ^= 0x01
    check = verify_pdf(bytes(content))
    assert check.verdict == "altered"
    assert check.summary == ALTERED
    assert not check.signatures[0].intact
    body = _verify_page(client, bytes(content)).content.decode()
    assert ALTERED in body
    assert "No executed DPA or report issued by this portal has this fingerprint" in body
    assert "Verified</span>" not in body


def test_appended_incremental_update_fails(client, executed):
    original = _content(executed)
    writer = IncrementalPdfFileWriter(io.BytesIO(original), strict=False)
    info = writer.trailer["/Info"].get_object() if "/Info" in writer.trailer else None
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page["/Rotate"] = __import__("pyhanko.pdf_utils.generic", fromlist=["NumberObject"]).NumberObject(90)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    forged = out.getvalue()
    assert forged.startswith(original)
    assert info is None or info is not None  # the update only rotates a page
    check = verify_pdf(forged)
    assert check.verdict == "altered"
    assert check.summary == ALTERED
    [facts] = check.signatures
    assert facts.intact  # the signed revision itself is untouched...
    assert facts.modified_after_signing  # ...but the document was changed after it
    assert facts.coverage == "entire_revision"
    assert ALTERED in _verify_page(client, forged).content.decode()


def test_appended_bytes_fail(client, executed):
    forged = _content(executed) + b"\n% appended after signing\n"
    check = verify_pdf(forged)
    assert check.verdict == "altered"
    assert check.summary == ALTERED
    [facts] = check.signatures
    assert facts.intact
    assert facts.modified_after_signing
    assert ALTERED in _verify_page(client, forged).content.decode()


def test_appended_broken_update_is_a_damaged_pdf(client, executed):
    forged = _content(executed) + b"\n1 0 obj\n(forged)\nendobj\n%%EOF\n"
    response = _verify_page(client, forged)
    assert response.status_code == 400
    assert "This PDF is damaged and cannot be read." in response.content.decode()


def test_timestamped_executed_dpa(client, org_admin, org, legal, version, tsa):
    execution = _countersign(_awaiting_countersignature(client, org_admin, org), legal)
    client.logout()
    check = verify_pdf(_content(execution))
    assert check.signed_by_us
    [facts] = check.signatures
    assert facts.timestamp_at is not None
    assert facts.timestamp_trusted
    assert facts.timestamp_authority == "Test TSA"
    assert "timestamped by Test TSA at" in check.summary
    body = _verify_page(client, _content(execution)).content.decode()
    assert "(trusted time-stamping authority)" in body


def test_without_signing_the_dpa_is_still_executed_unsigned(client, org_admin, org, legal, version, unsigned):
    execution = _countersign(_awaiting_countersignature(client, org_admin, org), legal)
    assert execution.status == DpaExecution.Status.EXECUTED
    content = _content(execution)
    assert not PdfFileReader(io.BytesIO(content)).embedded_signatures
    client.logout()
    body = _verify_page(client, content).content.decode()
    assert "Verified" in body
    assert "Not signed: this PDF carries no digital signature." in body


def test_a_failing_tsa_leaves_the_dpa_awaiting_countersignature(client, org_admin, org, legal, version, monkeypatch):
    execution = _awaiting_countersignature(client, org_admin, org)

    class Down:
        async def async_timestamp(self, *args, **kwargs):
            raise ConnectionError("TSA down")

    monkeypatch.setattr(signing, "timestamper", lambda: Down())
    with pytest.raises(ApplicationError, match="could not be signed right now"):
        _countersign(execution, legal)
    execution.refresh_from_db()
    assert execution.status == DpaExecution.Status.AWAITING_COUNTERSIGNATURE
    assert not execution.executed_sha256


def test_countersign_page_shows_the_signing_failure(client, org_admin, org, legal, version, monkeypatch):
    execution = _awaiting_countersignature(client, org_admin, org)

    class Down:
        async def async_timestamp(self, *args, **kwargs):
            raise ConnectionError("TSA down")

    monkeypatch.setattr(signing, "timestamper", lambda: Down())
    login(client, legal)
    url = reverse("signing:staff_detail", args=[execution.public_id])
    data = {"action": "countersign", "typed_name": "Lena Jansen", "title": "General Counsel"}
    response = client.post(url, {**data, "confirms_authority": "on"})
    assert response.status_code == 400
    assert "could not be signed right now" in response.content.decode()


def test_signed_by_someone_else_is_not_ours(client, tmp_path, settings, test_pki):
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    other = make_demo_signing(tmp_path / "other", processor="Mallory Ltd")
    settings.PORTAL_SIGNING_KEY = str(other.key_path)
    settings.PORTAL_SIGNING_CERT = str(other.cert_path)
    settings.PORTAL_SIGNING_CHAIN = [str(other.chain_path)]
    forged = signing.sign_pdf(out.getvalue(), reason="Executed DPA (forged)", certify=True)
    for name, value in test_pki.settings.items():
        setattr(settings, name, value)
    check = verify_pdf(forged)
    assert check.verdict == "not_ours"
    assert check.summary == "Not signed by us: the signature is by Mallory Ltd, not Routewise B.V."
    body = _verify_page(client, forged).content.decode()
    assert "Not signed by us" in body


# --- the breach evidence report -----------------------------------------------------------------------


def test_breach_report_is_signed(client, legal, org, other_org, django_capture_on_commit_callbacks):
    incident = make_incident(organisations=[org, other_org], actor=legal)
    login(client, legal)
    url = reverse("breaches:staff_report", args=[incident.public_id])
    response = get_prepared(client, url, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    check = verify_pdf(response.content)
    assert check.signed_by_us
    [facts] = check.signatures
    assert facts.certification == ""  # an approval signature
    assert facts.reason == f"Breach evidence report: {incident.title} (Routewise B.V.)"
    assert "Breach" in "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(response.content)).pages)


def test_breach_report_signing_failure_is_a_message_not_a_500(
    client, legal, org, monkeypatch, django_capture_on_commit_callbacks
):
    incident = make_incident(organisations=[org], actor=legal)

    class Down:
        async def async_timestamp(self, *args, **kwargs):
            raise ConnectionError("TSA down")

    monkeypatch.setattr(signing, "timestamper", lambda: Down())
    login(client, legal)
    url = reverse("breaches:staff_report", args=[incident.public_id])
    response = get_prepared(client, url, django_capture_on_commit_callbacks)
    assert response.status_code == 503  # the failure page, with the error for legal staff and a retry button
    assert response["Retry-After"]
    assert "could not be signed right now" in response.content.decode()


# --- bad uploads ---------------------------------------------------------------------------------------


def _encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


BAD_UPLOADS = [
    (b"", "The submitted file is empty."),
    (b"PK\x03\x04 a zip file, not a PDF", "This is not a PDF file."),
    (b"%PDF-1.7\n garbage without any structure", "This PDF is damaged and cannot be read."),
]


@pytest.mark.parametrize(("content", "message"), BAD_UPLOADS)
def test_verify_page_bad_upload_is_a_form_error(client, content, message):
    response = _verify_page(client, content)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_verify_page_encrypted_pdf_is_a_form_error(client):
    response = _verify_page(client, _encrypted_pdf())
    assert response.status_code == 400
    assert "This PDF is encrypted" in response.content.decode()


def test_verify_page_too_large_is_refused(client, settings):
    settings.DPA_VERIFY_MAX_BYTES = 1024
    response = _verify_page(client, b"%PDF-1.7\n" + b"0" * 2048)
    assert response.status_code == 413


# --- the API ------------------------------------------------------------------------------------------


def _api(client, content: bytes):
    return client.post(reverse("signing:api_verify"), {"file": SimpleUploadedFile("dpa.pdf", content)})


def test_api_reports_the_signature_facts(client, executed, org):
    content = _content(executed)
    body = _api(client, content).json()
    assert body["valid"] is True
    assert body["organisation"] == org.name
    assert body["sha256"] == executed.executed_sha256
    check = body["signature_check"]
    assert check["verdict"] == "signed_by_us"
    assert check["summary"].startswith(SIGNED_BY_US)
    assert check["demo_certificate"] is True
    [sig] = check["signatures"]
    assert sig["intact"] is True
    assert sig["ours"] is True
    assert sig["trusted"] is True
    assert sig["signer_organisation"] == "Routewise B.V."
    assert sig["certification"] == "no_changes"
    assert sig["modified_after_signing"] is False
    assert sig["coverage"] == "entire_file"
    assert sig["signed_at"]
    assert sig["timestamp_at"] is None


def test_api_tampered_file(client, executed):
    content = bytearray(_content(executed))
    content[len(content) // 4] ^= 0x01
    body = _api(client, bytes(content)).json()
    assert body["valid"] is False
    assert body["signature_check"]["verdict"] == "altered"
    assert body["signature_check"]["summary"] == ALTERED


@pytest.mark.parametrize(("content", "message"), [*BAD_UPLOADS[1:], (b"", "The submitted file is empty.")])
def test_api_bad_upload_is_a_400(client, content, message):
    response = _api(client, content)
    assert response.status_code == 400
    assert message in str(response.json()["file"])


def test_api_encrypted_and_both_inputs(client):
    response = _api(client, _encrypted_pdf())
    assert response.status_code == 400
    assert "encrypted" in str(response.json()["file"])
    both = client.post(
        reverse("signing:api_verify"), {"file": SimpleUploadedFile("a.pdf", _encrypted_pdf()), "sha256": "a" * 64}
    )
    assert both.status_code == 400
    nothing = client.post(reverse("signing:api_verify"), {}, content_type="application/json")
    assert nothing.status_code == 400
    assert "Send the PDF as `file`" in str(nothing.json())


def test_api_upload_is_rate_limited(client, settings, executed):
    settings.DPA_VERIFY_RATE = "1/10m"
    content = _content(executed)
    assert _api(client, content).status_code == 200
    response = _api(client, content)
    assert response.status_code == 429
    assert "Too many file verifications" in response.json()["detail"]
    # a hash alone is not held to it
    assert client.post(reverse("signing:api_verify"), {"sha256": executed.executed_sha256}).json()["valid"] is True


def test_api_schema_documents_the_signature_check(client):
    schema = client.get(reverse("schema"), HTTP_ACCEPT="application/json").content.decode()
    for name in ("SignatureCheck", "SignatureFacts", "timestamp_trusted", "modified_after_signing", "multipart"):
        assert name in schema
