"""Test signing material: a test CA made by the same code as the demo CA, and an in-process TSA."""

from dataclasses import dataclass
from pathlib import Path

from asn1crypto import keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from portal.evidence.demo import DemoSigning, Issued, issue, make_demo_signing

PROCESSOR = "Routewise B.V."


@dataclass(frozen=True)
class TestPki:
    signing: DemoSigning
    ca: Issued

    @property
    def settings(self) -> dict:
        return {
            "PORTAL_SIGNING_KEY": str(self.signing.key_path),
            "PORTAL_SIGNING_CERT": str(self.signing.cert_path),
            "PORTAL_SIGNING_PASSPHRASE": "",
            "PORTAL_SIGNING_CHAIN": [str(self.signing.chain_path)],
            "PORTAL_TSA_URL": "",
            "PORTAL_TSA_CHAIN": [],
            # load_demo writes its demo CA here, never into the checkout's var/.
            "PORTAL_SIGNING_DEMO_DIR": self.signing.directory / "demo",
        }

    @property
    def ca_pem(self) -> Path:
        return self.signing.chain_path


def make_test_pki(directory: Path) -> TestPki:
    signing = make_demo_signing(directory, processor=PROCESSOR)
    assert signing.created
    assert signing.ca is not None
    return TestPki(signing=signing, ca=signing.ca)


def asn1_cert(cert):
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def asn1_key(key):
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return keys.PrivateKeyInfo.load(der)


def dummy_timestamper(ca: Issued, *, name: str = "Test TSA"):
    """pyHanko's in-process TSA with a time-stamping certificate issued by `ca`."""
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    tsa = issue(ca, common_name=name, organisation="Test Time-Stamping Authority", timestamping=True)
    return DummyTimeStamper(
        tsa_cert=asn1_cert(tsa.cert),
        tsa_key=asn1_key(tsa.key),
        certs_to_embed=SimpleCertificateStore.from_certs([asn1_cert(ca.cert)]),
    )


def write_pkcs12(path: Path, pki: TestPki, passphrase: bytes | None) -> Path:
    key = serialization.load_pem_private_key(pki.signing.key_path.read_bytes(), None)
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(pki.signing.cert_path.read_bytes())
    encryption = serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"signing", key, cert, [pki.ca.cert], encryption))
    return path


def write_key(path: Path, key) -> Path:
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return path


def write_cert(path: Path, cert) -> Path:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path
