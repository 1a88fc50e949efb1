"""Signatures anyone can check without trusting this portal (pyHanko).

- `sign_pdf`: a PAdES signature on an evidence PDF (a certification signature with DocMDP "no changes" to seal a
  final document); PAdES B-T with an RFC 3161 timestamp when PORTAL_TSA_URL is set, B-LT when the revocation
  information of the chain can be embedded too (otherwise B-T, logged).
- `sign_data` / `verify_data`: a detached CMS SignedData over arbitrary bytes (signed audit checkpoints).

Key material comes from settings (PORTAL_SIGNING_KEY and PORTAL_SIGNING_CERT as PEM, or a PKCS#12 bundle with
PORTAL_SIGNING_PASSPHRASE; PORTAL_SIGNING_CHAIN). Unconfigured, `sign_pdf` returns its input unchanged and
`sign_data` returns None, so evidence keeps being issued (unsigned) and `check --deploy` warns (portal.W020).
With DEBUG and nothing configured, the demo CA that `load_demo` writes is used.
"""

import asyncio
import io
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from portal.core.errors import ApplicationError
from portal.evidence.demo import CERT_FILE, CHAIN_FILE, KEY_FILE

if TYPE_CHECKING:
    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign.signers import SimpleSigner

logger = logging.getLogger(__name__)

PKCS12_SUFFIXES = (".p12", ".pfx")
DIGEST = "sha256"
DEMO_MARK = "DEMO ONLY"
FIELD_PREFIX = "PortalSignature"
SIGNING_FAILED = (
    "The document could not be signed right now (the signing key or the time-stamping authority failed). "
    "Nothing was issued; please try again in a few minutes, and tell the operator if it keeps failing."
)


class SigningFailed(ApplicationError):
    """Signing was configured but failed (e.g. the TSA did not answer). Nothing may be issued unsigned then."""


@dataclass(frozen=True)
class SigningConfig:
    key: str
    cert: str
    passphrase: str
    chain: tuple[str, ...]
    demo: bool = False


@dataclass(frozen=True)
class SigningMaterial:
    signer: "SimpleSigner"
    cert: "asn1_x509.Certificate"
    roots: tuple  # trust anchors: the self-signed certificates of the chain (or its top when it has none)
    intermediates: tuple
    demo: bool

    @property
    def subject(self) -> str:
        return certificate_owner(self.cert)


@dataclass(frozen=True)
class DataVerification:
    valid: bool
    signer: str
    signed_at: datetime | None
    timestamp_at: datetime | None
    ours: bool
    reason: str


# --- Configuration ---------------------------------------------------------------------------------


def signing_config() -> SigningConfig | None:
    if settings.PORTAL_SIGNING_KEY:
        return SigningConfig(
            key=settings.PORTAL_SIGNING_KEY,
            cert=settings.PORTAL_SIGNING_CERT,
            passphrase=settings.PORTAL_SIGNING_PASSPHRASE,
            chain=tuple(p for p in settings.PORTAL_SIGNING_CHAIN if p),
        )
    if settings.DEBUG:
        return _demo_config(Path(settings.PORTAL_SIGNING_DEMO_DIR))
    return None


def _demo_config(directory: Path) -> SigningConfig | None:
    paths = [directory / name for name in (KEY_FILE, CERT_FILE, CHAIN_FILE)]
    if not all(p.exists() for p in paths):
        return None
    key, cert, chain = (str(p) for p in paths)
    return SigningConfig(key=key, cert=cert, passphrase="", chain=(chain,), demo=True)


def signing_configured() -> bool:
    return signing_config() is not None


def signing_material() -> SigningMaterial | None:
    """The loaded key and certificates, or None when signing is not configured. Raises ImproperlyConfigured
    with a plain explanation when it is configured but cannot be used."""
    config = signing_config()
    if config is None:
        return None
    return _load_cached(config, _mtimes(config))


def _mtimes(config: SigningConfig) -> tuple:
    # Part of the cache key, so replaced files (a renewed certificate) are picked up without a restart.
    stamps: list[int | None] = []
    for path in (config.key, config.cert, *config.chain):
        try:
            stamps.append(os.stat(path).st_mtime_ns if path else 0)
        except OSError:
            stamps.append(None)
    return tuple(stamps)


@lru_cache(maxsize=8)
def _load_cached(config: SigningConfig, mtimes: tuple) -> SigningMaterial:
    return load_material(config)


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ImproperlyConfigured(f"{what} {path!r} cannot be read: {exc.strerror or exc}.") from exc


def load_material(config: SigningConfig) -> SigningMaterial:
    from asn1crypto import keys  # noqa: PLC0415 - asn1crypto loads only when it is used
    from asn1crypto import x509 as asn1_x509  # noqa: PLC0415 - asn1crypto loads only when it is used
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415 - cryptography loads only when it is used
    from pyhanko.sign.signers import SimpleSigner  # noqa: PLC0415 - pyHanko loads only when it is used
    from pyhanko_certvalidator.registry import SimpleCertificateStore  # noqa: PLC0415 - pyHanko loads only when it is used

    if config.key.lower().endswith(PKCS12_SUFFIXES):
        key, cert, bundled = _load_pkcs12(config)
    else:
        key, cert, bundled = _load_pem_key(config), _load_pem_cert(config), []
    if key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) != cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo):
        raise ImproperlyConfigured("PORTAL_SIGNING_KEY does not belong to the certificate in PORTAL_SIGNING_CERT.")
    chain = bundled + [c for path in config.chain for c in _load_pem_certs(path, "PORTAL_SIGNING_CHAIN file")]
    as_asn1 = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in chain]
    roots = tuple(c for c in as_asn1 if c.self_signed)
    intermediates = tuple(c for c in as_asn1 if not c.self_signed)
    if not roots and intermediates:
        roots, intermediates = intermediates[-1:], intermediates[:-1]
    signing_cert = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    signing_key = keys.PrivateKeyInfo.load(
        key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    signer = SimpleSigner(
        signing_cert=signing_cert,
        signing_key=signing_key,
        cert_registry=SimpleCertificateStore.from_certs(as_asn1),
    )
    return SigningMaterial(
        signer=signer,
        cert=signing_cert,
        roots=roots,
        intermediates=intermediates,
        demo=config.demo or is_demo_certificate(signing_cert),
    )


def _passphrase(config: SigningConfig) -> bytes | None:
    return config.passphrase.encode() if config.passphrase else None


def _load_pkcs12(config: SigningConfig):
    from cryptography.hazmat.primitives.serialization import pkcs12  # noqa: PLC0415 - cryptography loads only when it is used

    data = _read(config.key, "PORTAL_SIGNING_KEY")
    try:
        key, cert, others = pkcs12.load_key_and_certificates(data, _passphrase(config))
    except ValueError as exc:
        hint = "PORTAL_SIGNING_PASSPHRASE is wrong" if config.passphrase else "it needs PORTAL_SIGNING_PASSPHRASE"
        raise ImproperlyConfigured(
            f"The PKCS#12 bundle in PORTAL_SIGNING_KEY ({config.key}) cannot be opened: {hint}, or the file is "
            "not a PKCS#12 bundle."
        ) from exc
    if key is None or cert is None:
        raise ImproperlyConfigured(
            f"The PKCS#12 bundle in PORTAL_SIGNING_KEY ({config.key}) must hold both the private key and its "
            "certificate."
        )
    return key, cert, list(others or [])


def _load_pem_key(config: SigningConfig):
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415 - cryptography loads only when it is used

    data = _read(config.key, "PORTAL_SIGNING_KEY")
    try:
        return serialization.load_pem_private_key(data, _passphrase(config))
    except TypeError as exc:  # encrypted without a passphrase, or a passphrase for an unencrypted key
        hint = (
            "it is not encrypted: leave PORTAL_SIGNING_PASSPHRASE empty"
            if config.passphrase
            else "it is encrypted: set PORTAL_SIGNING_PASSPHRASE"
        )
        raise ImproperlyConfigured(f"The private key in PORTAL_SIGNING_KEY ({config.key}) {hint}.") from exc
    except ValueError as exc:
        hint = "PORTAL_SIGNING_PASSPHRASE is wrong" if config.passphrase else "the file is not a PEM private key"
        raise ImproperlyConfigured(
            f"The private key in PORTAL_SIGNING_KEY ({config.key}) cannot be loaded: {hint}."
        ) from exc


def _load_pem_cert(config: SigningConfig):
    if not config.cert:
        raise ImproperlyConfigured(
            "PORTAL_SIGNING_CERT is not set: a PEM private key in PORTAL_SIGNING_KEY needs its certificate "
            "(or use a PKCS#12 bundle, .p12/.pfx, which holds both)."
        )
    certs = _load_pem_certs(config.cert, "PORTAL_SIGNING_CERT")
    return certs[0]


def _load_pem_certs(path: str, what: str) -> list:
    from cryptography import x509  # noqa: PLC0415 - cryptography loads only when it is used

    data = _read(path, what)
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        try:
            certs = [x509.load_der_x509_certificate(data)]
        except ValueError as exc:
            raise ImproperlyConfigured(f"{what} {path!r} holds no PEM or DER certificate.") from exc
    return certs


# --- Certificates ----------------------------------------------------------------------------------


def _name_part(name, field: str) -> str:
    value = name.native.get(field, "")
    return value[-1] if isinstance(value, list) else value


def certificate_owner(cert) -> str:
    """The organisation a certificate was issued to (its subject O), else its common name."""
    return _name_part(cert.subject, "organization_name") or _name_part(cert.subject, "common_name")


def certificate_name(cert) -> str:
    return _name_part(cert.subject, "common_name") or certificate_owner(cert)


def is_demo_certificate(cert) -> bool:
    """Issued by (or being) one of the demo CAs that `load_demo` and the tests create."""
    return any(DEMO_MARK in (_name_part(n, f) or "") for n in (cert.subject, cert.issuer) for f in ("common_name",))


def is_ours(cert, material: SigningMaterial | None) -> bool:
    return material is not None and cert.dump() == material.cert.dump()


def _tsa_certs() -> list:
    from asn1crypto import x509 as asn1_x509  # noqa: PLC0415 - asn1crypto loads only when it is used
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415 - cryptography loads only when it is used

    paths = [p for p in settings.PORTAL_TSA_CHAIN if p]
    certs = [c for path in paths for c in _load_pem_certs(path, "PORTAL_TSA_CHAIN file")]
    return [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in certs]


def validation_context(material: SigningMaterial | None = None, *, for_signing: bool = False):
    """Trust anchors: our chain's roots (and the TSA's, PORTAL_TSA_CHAIN). Verification works offline
    (soft-fail on revocation); signing B-LT fetches revocation information and insists on it."""
    from pyhanko_certvalidator import ValidationContext  # noqa: PLC0415 - pyHanko loads only when it is used

    material = material if material is not None else signing_material()
    tsa = _tsa_certs()
    roots = [*(material.roots if material else ()), *(c for c in tsa if c.self_signed)]
    others = [*(material.intermediates if material else ()), *(c for c in tsa if not c.self_signed)]
    if for_signing:
        return ValidationContext(
            trust_roots=roots, other_certs=others, allow_fetching=True, revocation_mode="hard-fail"
        )
    return ValidationContext(trust_roots=roots, other_certs=others, allow_fetching=False, revocation_mode="soft-fail")


# --- Signing -----------------------------------------------------------------------------------------


def timestamper():
    """The RFC 3161 client for PORTAL_TSA_URL, or None (no timestamps). Tests replace this function."""
    if not settings.PORTAL_TSA_URL:
        return None
    from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper  # noqa: PLC0415 - pyHanko loads only when it is used

    return RequestsHTTPTimeStamper(settings.PORTAL_TSA_URL, timeout=settings.PORTAL_TSA_TIMEOUT_SECONDS)


def sign_pdf(data: bytes, *, reason: str, certify: bool = False, location: str = "") -> bytes:
    """`data` with a PAdES signature by our certificate appended as an incremental update (the original bytes
    stay byte for byte at the start). `certify`: a certification signature that permits no later changes.
    Returns `data` unchanged when signing is not configured."""
    material = signing_material()
    if material is None:
        return data
    tsa = timestamper()
    options = {"reason": reason, "certify": certify, "location": location, "tsa": tsa}
    if tsa is not None:
        try:
            return _sign_pdf(data, material, long_term=True, **options)
        except Exception as exc:  # noqa: BLE001 - any failure to gather revocation info: B-T is still evidence
            logger.warning("PAdES B-LT not possible (%s); signing PAdES B-T without revocation info.", exc)
    try:
        return _sign_pdf(data, material, long_term=False, **options)
    except Exception as exc:
        logger.exception("Signing an evidence PDF failed")
        raise SigningFailed(SIGNING_FAILED) from exc


def _sign_pdf(
    data: bytes, material: SigningMaterial, *, reason: str, certify: bool, location: str, tsa, long_term: bool
) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: PLC0415 - pyHanko loads only when it is used
    from pyhanko.sign import fields, signers  # noqa: PLC0415 - pyHanko loads only when it is used

    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    meta = signers.PdfSignatureMetadata(
        field_name=_new_field_name(writer),
        reason=reason,
        location=location or None,
        name=material.subject,
        md_algorithm=DIGEST,
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=certify,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        embed_validation_info=long_term,
        validation_context=validation_context(material, for_signing=True) if long_term else None,
    )
    out = run_outside_event_loop(signers.PdfSigner(meta, signer=material.signer, timestamper=tsa).sign_pdf, writer)
    return out.getvalue()


def _new_field_name(writer) -> str:
    from pyhanko.sign.fields import enumerate_sig_fields  # noqa: PLC0415 - pyHanko loads only when it is used

    taken = {name for name, _value, _ref in enumerate_sig_fields(writer)}
    return next(f"{FIELD_PREFIX}{n}" for n in range(1, len(taken) + 2) if f"{FIELD_PREFIX}{n}" not in taken)


def run_outside_event_loop(func, /, *args, **kwargs):
    """Call `func` (pyHanko's synchronous API, which runs an event loop of its own) here, or in a short-lived thread
    when this thread already runs an event loop (an ASGI server; Playwright's sync API in the browser tests), where
    `asyncio.run` would refuse."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return func(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(func, *args, **kwargs).result()


def sign_data(data: bytes) -> bytes | None:
    """A detached CMS SignedData (DER) over `data` by our certificate, with a signature timestamp token when a
    TSA is configured; None when signing is not configured."""
    material = signing_material()
    if material is None:
        return None
    from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes  # noqa: PLC0415 - pyHanko loads only when it is used

    coro = material.signer.async_sign_general_data(
        data,
        DIGEST,
        detached=True,
        timestamper=timestamper(),
        signed_attr_settings=PdfCMSSignedAttributes(signing_time=timezone.now()),
    )
    try:
        content_info = run_outside_event_loop(asyncio.run, coro)
    except Exception as exc:
        logger.exception("Signing data failed")
        raise SigningFailed(SIGNING_FAILED) from exc
    return content_info.dump()


def verify_data(data: bytes, signature: bytes) -> DataVerification:
    """Check a `sign_data` signature: intact over `data`, by a certificate chaining to our trust anchors."""
    from asn1crypto import cms  # noqa: PLC0415 - asn1crypto loads only when it is used
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms  # noqa: PLC0415 - pyHanko loads only when it is used

    try:
        content_info = cms.ContentInfo.load(signature)
        if content_info["content_type"].native != "signed_data":
            raise ValueError("not SignedData")
        signed_data = content_info["content"]
        signed_data.native  # noqa: B018 - parse it all now, so a damaged structure fails here
    except (ValueError, TypeError, KeyError) as exc:
        return DataVerification(False, "", None, None, False, f"Not a CMS signature: {exc}")
    material = signing_material()
    try:
        status = run_outside_event_loop(
            asyncio.run,
            async_validate_detached_cms(data, signed_data, signer_validation_context=validation_context(material)),
        )
    except Exception as exc:  # noqa: BLE001 - a malformed signature is "invalid", whatever pyHanko raised
        return DataVerification(False, "", None, None, False, f"The signature could not be checked: {exc}")
    ours = is_ours(status.signing_cert, material)
    timestamp_at = status.timestamp_validity.timestamp if status.timestamp_validity else None
    valid = bool(status.intact and status.valid and status.trusted)
    return DataVerification(
        valid=valid,
        signer=certificate_owner(status.signing_cert),
        signed_at=status.signer_reported_dt,
        timestamp_at=timestamp_at,
        ours=ours,
        reason=_data_reason(status, ours),
    )


def _data_reason(status, ours: bool) -> str:
    if not status.intact:
        return "The data was changed after it was signed."
    if not status.valid:
        return "The signature does not match the certificate."
    if not status.trusted:
        return "The signing certificate does not chain to our trust anchors."
    return "Intact and signed by our certificate." if ours else "Intact, but not signed by our current certificate."
