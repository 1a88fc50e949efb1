"""The signing core: PAdES on PDFs, detached CMS on data, key material from settings."""

import io
import logging

import pytest
from django.core.exceptions import ImproperlyConfigured
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.validation import validate_pdf_signature
from pypdf import PdfWriter

from portal.evidence import signing
from portal.evidence.demo import issue, make_demo_signing
from tests.pki import write_cert, write_key, write_pkcs12


def blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def only_signature(data: bytes):
    sigs = PdfFileReader(io.BytesIO(data)).embedded_signatures
    assert len(sigs) == 1
    return sigs[0]


def validate(data: bytes):
    return signing.run_outside_event_loop(
        validate_pdf_signature, only_signature(data), signer_validation_context=signing.validation_context()
    )


def test_sign_pdf_validates_against_the_test_ca_and_keeps_the_original_bytes():
    original = blank_pdf()
    signed = signing.sign_pdf(original, reason="Test evidence", location="Amsterdam")
    assert signed.startswith(original)
    status = validate(signed)
    assert status.bottom_line
    assert status.intact
    assert status.valid
    assert status.trusted
    assert signing.certificate_owner(status.signing_cert) == "Routewise B.V."
    sig = only_signature(signed)
    assert sig.sig_object["/Reason"] == "Test evidence"
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert status.timestamp_validity is None
    assert sig.docmdp_level is None  # an approval signature


def test_certify_gives_docmdp_no_changes():
    signed = signing.sign_pdf(blank_pdf(), reason="Sealed", certify=True)
    sig = only_signature(signed)
    assert sig.docmdp_level == MDPPerm.NO_CHANGES
    assert validate(signed).docmdp_ok


def test_tsa_timestamps_the_signature_with_validation_info(tsa):
    signed = signing.sign_pdf(blank_pdf(), reason="Timestamped")
    status = validate(signed)
    assert status.bottom_line
    assert status.timestamp_validity is not None
    assert status.timestamp_validity.trusted
    # The chain has no revocation endpoints, so the certificates alone make the validation info (a DSS).
    assert PdfFileReader(io.BytesIO(signed)).root.get("/DSS") is not None


def test_unreachable_revocation_info_falls_back_to_b_t(tsa, test_pki, tmp_path, settings, caplog):
    leaf = issue(
        test_pki.ca, common_name="CRL pointing", organisation="Routewise B.V.", crl_url="http://127.0.0.1:9/x.crl"
    )
    settings.PORTAL_SIGNING_KEY = str(write_key(tmp_path / "key.pem", leaf.key))
    settings.PORTAL_SIGNING_CERT = str(write_cert(tmp_path / "cert.pem", leaf.cert))
    with caplog.at_level(logging.WARNING, logger="portal.evidence.signing"):
        signed = signing.sign_pdf(blank_pdf(), reason="Timestamped")
    assert "PAdES B-LT not possible" in caplog.text
    assert PdfFileReader(io.BytesIO(signed)).root.get("/DSS") is None
    status = validate(signed)
    assert status.intact
    assert status.valid
    assert status.timestamp_validity.trusted


def test_sign_pdf_without_configuration_returns_the_input(unsigned):
    data = blank_pdf()
    assert not signing.signing_configured()
    assert signing.sign_pdf(data, reason="x") == data
    assert signing.sign_data(b"payload") is None


def test_a_failing_tsa_refuses_to_sign(monkeypatch):
    class Down:
        async def async_timestamp(self, *args, **kwargs):
            raise ConnectionError("TSA down")

    monkeypatch.setattr(signing, "timestamper", lambda: Down())
    with pytest.raises(signing.SigningFailed) as err:
        signing.sign_pdf(blank_pdf(), reason="x")
    assert "try again" in err.value.message


def test_sign_data_round_trip_and_altered_data():
    signature = signing.sign_data(b"checkpoint 42: abc")
    result = signing.verify_data(b"checkpoint 42: abc", signature)
    assert result.valid
    assert result.ours
    assert result.signer == "Routewise B.V."
    assert result.signed_at is not None
    assert result.timestamp_at is None
    altered = signing.verify_data(b"checkpoint 42: abd", signature)
    assert not altered.valid
    assert altered.reason == "The data was changed after it was signed."


def test_sign_data_with_tsa_carries_a_timestamp(tsa):
    signature = signing.sign_data(b"checkpoint")
    result = signing.verify_data(b"checkpoint", signature)
    assert result.valid
    assert result.timestamp_at is not None


def test_verify_data_rejects_garbage_and_other_signers(tmp_path, settings, test_pki):
    assert not signing.verify_data(b"x", b"not der").valid
    other = make_demo_signing(tmp_path / "other", processor="Mallory Ltd")
    settings.PORTAL_SIGNING_KEY = str(other.key_path)
    settings.PORTAL_SIGNING_CERT = str(other.cert_path)
    settings.PORTAL_SIGNING_CHAIN = [str(other.chain_path)]
    forged = signing.sign_data(b"x")
    for name, value in test_pki.settings.items():  # back to our own material
        setattr(settings, name, value)
    result = signing.verify_data(b"x", forged)
    assert not result.valid
    assert not result.ours
    assert result.signer == "Mallory Ltd"
    assert "does not chain" in result.reason


def test_pkcs12_with_passphrase(tmp_path, settings, test_pki):
    bundle = write_pkcs12(tmp_path / "signing.p12", test_pki, b"s3cret")
    settings.PORTAL_SIGNING_KEY = str(bundle)
    settings.PORTAL_SIGNING_CERT = ""
    settings.PORTAL_SIGNING_PASSPHRASE = "s3cret"
    settings.PORTAL_SIGNING_CHAIN = []  # the bundle carries the CA
    status = validate(signing.sign_pdf(blank_pdf(), reason="From PKCS#12"))
    assert status.bottom_line
    assert signing.verify_data(b"d", signing.sign_data(b"d")).ours


@pytest.mark.parametrize("passphrase", ["wrong", ""])
def test_pkcs12_wrong_passphrase_is_a_clear_configuration_error(tmp_path, settings, test_pki, passphrase):
    settings.PORTAL_SIGNING_KEY = str(write_pkcs12(tmp_path / "signing.pfx", test_pki, b"s3cret"))
    settings.PORTAL_SIGNING_PASSPHRASE = passphrase
    with pytest.raises(ImproperlyConfigured, match="PKCS#12 bundle in PORTAL_SIGNING_KEY .* cannot be opened"):
        signing.sign_pdf(blank_pdf(), reason="x")


def test_pem_configuration_errors(tmp_path, settings, test_pki):
    settings.PORTAL_SIGNING_KEY = str(tmp_path / "missing.pem")
    with pytest.raises(ImproperlyConfigured, match="cannot be read"):
        signing.signing_material()
    settings.PORTAL_SIGNING_KEY = str(test_pki.signing.key_path)
    settings.PORTAL_SIGNING_PASSPHRASE = "unneeded"
    with pytest.raises(ImproperlyConfigured, match="not encrypted"):
        signing.signing_material()
    settings.PORTAL_SIGNING_PASSPHRASE = ""
    settings.PORTAL_SIGNING_CERT = str(test_pki.ca_pem)  # a certificate of another key
    with pytest.raises(ImproperlyConfigured, match="does not belong to the certificate"):
        signing.signing_material()
    settings.PORTAL_SIGNING_CERT = ""
    with pytest.raises(ImproperlyConfigured, match="PORTAL_SIGNING_CERT is not set"):
        signing.signing_material()


def test_demo_files_are_used_only_with_debug(tmp_path, settings, unsigned):
    demo = make_demo_signing(tmp_path / "demo", processor="Routewise B.V.")
    assert demo.created
    assert not make_demo_signing(tmp_path / "demo").created  # idempotent: files kept
    settings.PORTAL_SIGNING_DEMO_DIR = tmp_path / "demo"
    assert not signing.signing_configured()
    settings.DEBUG = True
    material = signing.signing_material()
    assert material.demo
    assert signing.certificate_name(material.cert).startswith("DEMO ONLY")
    issuer = material.roots[0].subject.native["common_name"]
    assert issuer == "DEMO ONLY — Routewise B.V. Trust Portal Demo CA"
    assert material.cert.key_usage_value.native == {"digital_signature", "non_repudiation"}


def test_deploy_check_warns_about_unsigned_evidence(unsigned):
    from portal.evidence.checks import evidence_signing

    assert [w.id for w in evidence_signing(None)] == ["portal.W020"]
    assert "evidence PDFs will be unsigned" in evidence_signing(None)[0].msg


def test_deploy_check_reports_broken_configuration(settings, tmp_path):
    from portal.evidence.checks import evidence_signing

    settings.PORTAL_SIGNING_KEY = str(tmp_path / "nope.p12")
    [error] = evidence_signing(None)
    assert error.id == "portal.E020"
    assert "cannot be read" in error.msg
