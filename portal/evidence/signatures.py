"""What the digital signatures on an uploaded PDF prove, in facts and in plain words (pyHanko validation).

For each signature: intact (the signed bytes are unchanged), who signed (subject O and CN), whether it is our
certificate, the signing time the signer claims and the time a TSA certified, whether the document was modified
after signing (byte coverage and pyHanko's difference analysis) and the certification level. Trust anchors are
our configured chain (and the TSA's, PORTAL_TSA_CHAIN); nothing is fetched from the network.
"""

import io
import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils import dateformat, timezone

from portal.deadlines.calendar import portal_tz
from portal.evidence import signing

logger = logging.getLogger(__name__)

PDF_HEADER = b"%PDF-"
NOT_A_PDF = "This is not a PDF file."
ENCRYPTED = "This PDF is encrypted (password-protected); the PDFs this portal issues never are."
UNREADABLE = "This PDF is damaged and cannot be read."

UNSIGNED = "unsigned"
SIGNED_BY_US = "signed_by_us"
ALTERED = "altered"
NOT_OURS = "not_ours"

CERTIFICATION_LEVELS = {1: "no_changes", 2: "form_filling", 3: "annotations"}
MODIFICATIONS = {
    "NONE": "none",
    "LTA_UPDATES": "validation_info_only",
    "FORM_FILLING": "form_filling",
    "ANNOTATIONS": "annotations",
    "OTHER": "other",
}


class UnusablePdf(ValueError):
    """The upload is not a PDF we can check; the message says why, for the person who uploaded it."""


@dataclass(frozen=True)
class SignatureFacts:
    field_name: str
    intact: bool
    valid: bool
    trusted: bool
    ours: bool
    demo_certificate: bool
    signer_organisation: str
    signer_name: str
    reason: str
    signed_at: datetime | None
    timestamp_at: datetime | None
    timestamp_trusted: bool
    timestamp_authority: str
    coverage: str
    modified_after_signing: bool
    modification: str
    certification: str
    summary: str

    @property
    def unaltered(self) -> bool:
        return self.intact and self.valid and not self.modified_after_signing


@dataclass(frozen=True)
class PdfVerification:
    verdict: str
    summary: str
    signatures: list[SignatureFacts] = field(default_factory=list)

    @property
    def signed_by_us(self) -> bool:
        return self.verdict == SIGNED_BY_US

    @property
    def demo_certificate(self) -> bool:
        return any(s.demo_certificate for s in self.signatures)


def open_pdf(data: bytes):
    """A pyHanko reader for `data`, or UnusablePdf saying why not."""
    from pyhanko.pdf_utils.misc import PdfError  # noqa: PLC0415 - pyHanko loads only when it is used
    from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: PLC0415 - pyHanko loads only when it is used

    if not data:
        raise UnusablePdf("The file is empty.")
    if PDF_HEADER not in data[:1024]:
        raise UnusablePdf(NOT_A_PDF)
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        if reader.encrypted:
            raise UnusablePdf(ENCRYPTED)
        reader.root  # noqa: B018 - the catalogue must be reachable
    except UnusablePdf:
        raise
    except (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError) as exc:
        logger.info("Unreadable PDF uploaded for verification: %s", exc)
        raise UnusablePdf(UNREADABLE) from exc
    return reader


def local_label(moment: datetime) -> str:
    """ "3 December 2026 at 10:14 CET", in the portal's time zone."""
    return dateformat.format(timezone.localtime(moment, portal_tz()), r"j F Y \a\t H:i T")


def verify_pdf(data: bytes) -> PdfVerification:
    """The signatures on `data` (raises UnusablePdf for what is not a readable, unencrypted PDF)."""
    reader = open_pdf(data)
    try:
        embedded = list(reader.embedded_regular_signatures)
    except Exception as exc:  # noqa: BLE001 - damaged signature fields: reported, never a 500
        logger.info("Unreadable signature fields: %s", exc)
        raise UnusablePdf(UNREADABLE) from exc
    material = _material()
    facts = [_check(sig, material) for sig in embedded]
    return _verdict(facts)


def _material():
    try:
        return signing.signing_material()
    except Exception:  # noqa: BLE001 - a broken signing configuration must not break verification
        logger.exception("Signing material unavailable for verification")
        return None


def _check(sig, material) -> SignatureFacts:
    from pyhanko.sign.validation import validate_pdf_signature  # noqa: PLC0415 - pyHanko loads only when it is used

    try:
        status = signing.run_outside_event_loop(
            validate_pdf_signature, sig, signer_validation_context=signing.validation_context(material)
        )
    except Exception as exc:  # noqa: BLE001 - a malformed signature is a broken one, whatever pyHanko raised
        logger.info("Signature %s could not be validated: %s", sig.field_name, exc)
        return _broken(sig)
    return _facts(sig, status, material)


def _broken(sig) -> SignatureFacts:
    try:
        cert = sig.signer_cert
        organisation, name = signing.certificate_owner(cert), signing.certificate_name(cert)
    except Exception:  # noqa: BLE001
        organisation = name = ""
    return SignatureFacts(
        field_name=str(sig.field_name or ""),
        intact=False,
        valid=False,
        trusted=False,
        ours=False,
        demo_certificate=False,
        signer_organisation=organisation,
        signer_name=name,
        reason="",
        signed_at=None,
        timestamp_at=None,
        timestamp_trusted=False,
        timestamp_authority="",
        coverage="unclear",
        modified_after_signing=True,
        modification="other",
        certification="",
        summary="This signature is damaged and cannot be checked.",
    )


def _ours(cert, trusted: bool, material) -> bool:
    # Our configured certificate, or (after a renewal) one our trust anchors issued to the processor by name.
    return signing.is_ours(cert, material) or (
        trusted and signing.certificate_owner(cert) == settings.PORTAL_PROCESSOR_NAME
    )


def _modified(status) -> tuple[bool, str]:
    """Changed after signing, and how. Unchanged: the signature covers the whole file, or only validation info
    (DSS, document timestamps: PAdES B-LT/LTA) was added in later revisions. Anything else, bytes appended
    without forming a revision included, is a change: the file is not the one that was signed."""
    from pyhanko.sign.diff_analysis import ModificationLevel  # noqa: PLC0415 - pyHanko loads only when it is used
    from pyhanko.sign.validation.status import SignatureCoverageLevel  # noqa: PLC0415 - pyHanko loads only when it is used

    level = status.modification_level
    name = MODIFICATIONS.get(level.name, "other") if level is not None else "unknown"
    if status.docmdp_ok is False:
        return True, name
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return False, "none"
    if status.coverage == SignatureCoverageLevel.ENTIRE_REVISION and level == ModificationLevel.LTA_UPDATES:
        return False, name
    return True, "other" if level in (None, ModificationLevel.NONE) else name


def _facts(sig, status, material) -> SignatureFacts:
    cert = status.signing_cert
    trusted = bool(status.trusted)
    ts = status.timestamp_validity
    modified, modification = _modified(status)
    docmdp = sig.docmdp_level
    facts = {
        "field_name": str(sig.field_name or ""),
        "intact": bool(status.intact),
        "valid": bool(status.valid),
        "trusted": trusted,
        "ours": _ours(cert, trusted, material),
        "demo_certificate": signing.is_demo_certificate(cert),
        "signer_organisation": signing.certificate_owner(cert),
        "signer_name": signing.certificate_name(cert),
        "reason": str(sig.sig_object.get("/Reason", "") or ""),
        "signed_at": sig.self_reported_timestamp,
        "timestamp_at": ts.timestamp if ts else None,
        "timestamp_trusted": bool(ts and ts.intact and ts.valid and ts.trusted),
        "timestamp_authority": signing.certificate_name(ts.signing_cert) if ts else "",
        "coverage": status.coverage.name.lower() if status.coverage else "unclear",
        "modified_after_signing": modified,
        "modification": modification,
        "certification": CERTIFICATION_LEVELS.get(int(docmdp.value), "") if docmdp else "",
    }
    return SignatureFacts(**facts, summary=_signature_summary(facts))


def _when(facts: dict) -> str:
    parts = []
    if facts["signed_at"]:
        parts.append(f"on {local_label(facts['signed_at'])}")
    if facts["timestamp_at"]:
        trust = "" if facts["timestamp_trusted"] else " (a time-stamping authority we do not recognise)"
        parts.append(f"timestamped by {facts['timestamp_authority']}{trust} at {local_label(facts['timestamp_at'])}")
    return ", ".join(parts)


def _signature_summary(facts: dict) -> str:
    who = facts["signer_organisation"] or "an unnamed signer"
    if not (facts["intact"] and facts["valid"]):
        return f"Signature by {who} is broken: the signed content was altered."
    if facts["modified_after_signing"]:
        return f"Signed by {who}, but the document was changed after this signature."
    when = _when(facts)
    text = f"Signed by {who}{' ' + when if when else ''}; unchanged since."
    if not facts["trusted"]:
        text += " The certificate is not one we recognise."
    return text


def _sentence(text: str) -> str:
    return text if text.endswith(".") else text + "."


def _verdict(facts: list[SignatureFacts]) -> PdfVerification:
    if not facts:
        return PdfVerification(UNSIGNED, "Not signed: this PDF carries no digital signature.", facts)
    ours = [f for f in facts if f.ours and f.trusted]
    if any(not f.unaltered for f in (ours or facts)):
        return PdfVerification(ALTERED, "Altered after signing: this is not the document we issued.", facts)
    if not ours:
        others = ", ".join(sorted({f.signer_organisation or "an unnamed signer" for f in facts}))
        text = f"Not signed by us: the signature is by {others}, not {settings.PORTAL_PROCESSOR_NAME}"
        return PdfVerification(NOT_OURS, _sentence(text), facts)
    summary = ours[-1].summary
    if any(f.demo_certificate for f in ours):
        summary += (
            " Note: it was signed with a DEMO certificate, which proves nothing outside this demonstration;"
            " a validator such as Adobe Reader shows it as untrusted."
        )
    return PdfVerification(SIGNED_BY_US, summary, facts)
