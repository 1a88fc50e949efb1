"""A demo certificate authority and signing certificate, so `make run` issues signed evidence PDFs.

Clearly labelled "DEMO ONLY" in every name: a validator shows the signature as intact but the signer as untrusted
unless the demo root is added as a trust anchor. Never configure these files in production.
"""

import datetime as dt
import os
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings

KEY_FILE = "signing-key.pem"
CERT_FILE = "signing-cert.pem"
CHAIN_FILE = "chain.pem"
DEMO_PREFIX = "DEMO ONLY"
CA_VALIDITY = dt.timedelta(days=3650)
LEAF_VALIDITY = dt.timedelta(days=825)


@dataclass(frozen=True)
class Issued:
    key: rsa.RSAPrivateKey
    cert: x509.Certificate


@dataclass(frozen=True)
class DemoSigning:
    directory: Path
    key_path: Path
    cert_path: Path
    chain_path: Path
    created: bool
    # The CA's key exists only in the run that created the files (never written): tests issue a TSA with it.
    ca: Issued | None = None


def _new_key() -> rsa.RSAPrivateKey:
    # RSA 2048: what every PDF reader and time-stamping test client (pyHanko's is RSA-only) understands.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(*, common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def make_ca(*, processor: str, common_name: str = "", now: dt.datetime | None = None) -> Issued:
    """A root CA, named as a demo unless `common_name` says otherwise (tests of production settings)."""
    now = now or dt.datetime.now(dt.UTC)
    key = _new_key()
    if common_name:
        name = _name(common_name=common_name, organisation=processor)
    else:
        name = _name(common_name=f"{DEMO_PREFIX} — {processor} Trust Portal Demo CA", organisation=f"{DEMO_PREFIX} CA")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Issued(key=key, cert=cert)


def _key_usage(*, cert_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=not cert_sign,  # nonRepudiation
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def issue(
    ca: Issued,
    *,
    common_name: str,
    organisation: str,
    timestamping: bool = False,
    crl_url: str = "",
    now: dt.datetime | None = None,
) -> Issued:
    """A leaf certificate from `ca`: document signing (digitalSignature + nonRepudiation) or, with
    `timestamping`, an RFC 3161 time-stamping unit (critical extended key usage timeStamping). The demo
    publishes no revocation information: `crl_url` is for tests of certificates that point to some."""
    now = now or dt.datetime.now(dt.UTC)
    key = _new_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name=common_name, organisation=organisation))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + LEAF_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
    )
    if crl_url:
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    if timestamping:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    return Issued(key=key, cert=builder.sign(ca.key, hashes.SHA256()))


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def make_demo_signing(directory: Path | str, *, processor: str | None = None) -> DemoSigning:
    """Create the demo CA and a signing certificate for `processor` (default PORTAL_PROCESSOR_NAME) in
    `directory`. Idempotent: existing files are kept as they are."""
    directory = Path(directory)
    files = DemoSigning(
        directory=directory,
        key_path=directory / KEY_FILE,
        cert_path=directory / CERT_FILE,
        chain_path=directory / CHAIN_FILE,
        created=False,
    )
    if all(path.exists() for path in (files.key_path, files.cert_path, files.chain_path)):
        return files
    if processor is None:
        processor = settings.PORTAL_PROCESSOR_NAME
    directory.mkdir(parents=True, exist_ok=True)
    ca = make_ca(processor=processor)
    leaf = issue(ca, common_name=f"{DEMO_PREFIX} — {processor} evidence signing", organisation=processor)
    key_pem = leaf.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write(files.key_path, key_pem, private=True)
    _write(files.cert_path, _pem(leaf.cert))
    _write(files.chain_path, _pem(ca.cert))
    return replace(files, created=True, ca=ca)
