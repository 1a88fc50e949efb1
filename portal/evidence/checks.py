"""Deployment checks: are evidence PDFs signed, and with a real certificate?"""

from django.core.checks import Error, Warning, register
from django.core.exceptions import ImproperlyConfigured

from portal.evidence import signing

EVIDENCE_UNSIGNED = Warning(
    "PORTAL_SIGNING_KEY is not set: evidence PDFs will be unsigned.",
    hint=(
        "Executed DPAs, breach evidence reports and the other evidence PDFs are then issued without a PAdES "
        "signature, so only this portal's SHA-256 lookup can vouch for them. Set PORTAL_SIGNING_KEY and "
        "PORTAL_SIGNING_CERT (or a PKCS#12 bundle with PORTAL_SIGNING_PASSPHRASE) and PORTAL_SIGNING_CHAIN."
    ),
    id="portal.W020",
)


@register(deploy=True)
def evidence_signing(app_configs, **kwargs):
    try:
        material = signing.signing_material()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="portal.E020")]
    if material is None:
        return [EVIDENCE_UNSIGNED]
    if material.demo:
        return [
            Warning(
                "Evidence PDFs are signed with the DEMO ONLY certificate that load_demo created.",
                hint="Configure PORTAL_SIGNING_KEY with a certificate from a real certificate authority.",
                id="portal.W021",
            )
        ]
    return []
