"""Deployment check: is the audit chain keyed with a secret of our own?"""

from django.conf import settings
from django.core.checks import Warning, register

AUDIT_KEY_MIN_BYTES = 32


@register(deploy=True)
def audit_chain_key(app_configs, **kwargs):
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
