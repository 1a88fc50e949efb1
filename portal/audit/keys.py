"""The secrets that key the audit chain, from settings: AUDIT_CHAIN_KEY (current) and AUDIT_CHAIN_OLD_KEYS (retired,
kept only to check the rows they keyed). A key's id is derived from the key itself, so a row names its key without
the database holding anything from which the key could be recovered, and an id can never point at the wrong key."""

import hashlib
import hmac

from django.conf import settings

_ID_LABEL = b"portal audit chain key id"


def audit_key_id(key: bytes) -> str:
    """A short public name of a key: the first 12 hex digits of HMAC-SHA256(key, a fixed label)."""
    return hmac.new(key, _ID_LABEL, hashlib.sha256).hexdigest()[:12]


def audit_current_key() -> tuple[str, bytes]:
    """(id, key) that new rows and checkpoints are keyed with."""
    key = settings.AUDIT_CHAIN_KEY.encode()
    return audit_key_id(key), key


def audit_known_keys() -> dict[str, bytes]:
    """Every key verification may use, by id: the current one and the retired ones."""
    keys = [settings.AUDIT_CHAIN_KEY, *settings.AUDIT_CHAIN_OLD_KEYS]
    return {audit_key_id(k.encode()): k.encode() for k in keys if k}


def audit_mac(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()
