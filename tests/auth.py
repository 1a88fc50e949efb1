"""Signing in, in tests, as the portal sees it.

`login(client, user)` is a completed sign-in: `force_login`, plus, for a user with an authenticator, the record
allauth writes when the TOTP step of that login succeeds (staff powers need it). Tests of what a password-only
session may do call `client.force_login` directly, or post to the real login form.
"""

import datetime as dt
import time

from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.account.internal.flows.login import _AUTHENTICATION_METHODS_USER_SESSION_KEY
from allauth.account.internal.userkit import user_id_to_str
from allauth.mfa.utils import is_mfa_enabled


def login(client, user, *, mfa: bool = True):
    if hasattr(client, "force_authenticate"):
        client.force_authenticate(None)  # DRF's APIClient: a forced user would override the session
    client.force_login(user)
    if mfa and is_mfa_enabled(user):
        session = client.session
        now = time.time()
        session[AUTHENTICATION_METHODS_SESSION_KEY] = [
            {"method": "password", "at": now, "email": user.email},
            {"method": "mfa", "at": now, "type": "totp"},
        ]
        session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = user_id_to_str(user)
        session.save()
    return user


def _token(user, *, staff: bool, scope: str, days: int, name: str) -> str:
    from portal.organisations.models import ApiToken
    from portal.organisations.tokens import password_fingerprint

    _, key = ApiToken.objects.create(
        user,
        expiry=dt.timedelta(days=days),
        name=name,
        scope=scope,
        staff=staff,
        password_fingerprint=password_fingerprint(user),
    )
    return key


def staff_token(user, *, scope: str = "write", days: int = 30, name: str = "test script") -> str:
    """The key of a staff token for `user`, as if minted on the token page from a sign-in that passed MFA."""
    return _token(user, staff=True, scope=scope, days=days, name=name)


def user_token(user, *, scope: str = "write", days: int = 90, name: str = "test script") -> str:
    """The key of an ordinary (non-staff) token for `user`."""
    return _token(user, staff=False, scope=scope, days=days, name=name)


def totp_code(user) -> str:
    """The current code of `user`'s authenticator app, as the person would type it."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
    from allauth.mfa.utils import decrypt

    secret = decrypt(Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).data["secret"])
    counter = list(yield_hotp_counters_from_time())[len(list(yield_hotp_counters_from_time())) // 2]
    return format_hotp_value(hotp_value(secret, counter))
