"""System checks of the deployment that Django's own `check --deploy` does not know about."""

from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.checks import Error, Tags, Warning, register

from portal.core.staticfiles import manifest_missing

STATIC_NOT_COLLECTED = Warning(
    "Static files have not been collected: there is no staticfiles.json manifest in STATIC_ROOT.",
    hint=(
        "Run `python manage.py collectstatic --noinput` before starting the web server (the container image does "
        "this at build time). Until then pages use unhashed static URLs served from the app folders."
    ),
    id="portal.W010",
)


@register(Tags.staticfiles, deploy=True)
def static_files_collected(app_configs, **kwargs):
    return [STATIC_NOT_COLLECTED] if manifest_missing(staticfiles_storage) else []


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
    from django.core.exceptions import ImproperlyConfigured

    from portal.evidence import signing

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


AUDIT_KEY_MIN_BYTES = 32


@register(deploy=True)
def audit_chain_key(app_configs, **kwargs):
    from django.conf import settings

    hint = (
        "Set AUDIT_CHAIN_KEY to a random string of at least 32 bytes, e.g. "
        "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`, kept outside the database. To replace a "
        "key already in use, follow the rotation steps in the README (the old key moves to AUDIT_CHAIN_OLD_KEYS)."
    )
    if settings.AUDIT_CHAIN_KEY == settings.AUDIT_CHAIN_DEV_KEY:
        return [Warning("AUDIT_CHAIN_KEY is the development key, which is public.", hint=hint, id="portal.W030")]
    if len(settings.AUDIT_CHAIN_KEY.encode()) < AUDIT_KEY_MIN_BYTES:
        return [
            Warning(
                f"AUDIT_CHAIN_KEY is shorter than {AUDIT_KEY_MIN_BYTES} bytes: too short to key the audit log.",
                hint=hint,
                id="portal.W031",
            )
        ]
    return []
