"""Personal API tokens: minting, revoking, and the rules a token must still meet when it is used.

Tokens are django-rest-knox tokens (only a SHA-512 digest is stored) with a name, a scope, an expiry and a
`staff` flag. The rules:
- every token expires: API_TOKEN_DEFAULT_DAYS by default, at most API_TOKEN_MAX_DAYS;
- a staff token (one that reaches staff operations) is minted only by legal staff from a login that passed MFA
  in this session, and expires within API_TOKEN_STAFF_MAX_DAYS;
- a token stops working when its owner's password changes (by any route) or the owner removes MFA;
- the key is shown once, when minted.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from portal.core.errors import ApplicationError
from portal.core.permissions import is_legal, is_staff_verified
from portal.organisations import events
from portal.organisations.models import ApiToken

FINGERPRINT_SALT = "portal.core.api-token.password"
TOKEN_NAME_REQUIRED = "Give the token a name, e.g. the script or system that will use it."
TOKEN_TOO_LONG = "Tokens expire within {days} days; choose a shorter lifetime."
TOKEN_STAFF_TOO_LONG = "Staff tokens expire within {days} days; choose a shorter lifetime."
TOKEN_STAFF_NOT_LEGAL = "Only the processor's legal staff can create staff tokens."
TOKEN_STAFF_NEEDS_MFA = (
    "Staff tokens can only be created from a sign-in confirmed with your authenticator app. "
    "Confirm with a code and try again."
)
TOKEN_TOO_MANY = "You have {count} active tokens, the most allowed. Revoke one you no longer use first."
TOKEN_ALREADY_REVOKED = "This token was already revoked."

REVOKED_BY_OWNER = "revoked by its owner"
REVOKED_BY_STAFF = "revoked by legal staff"
REVOKED_PASSWORD = "the password changed"
REVOKED_MFA = "two-factor authentication was removed"


def staff_revoke_reason(note: str = "") -> str:
    """The reason recorded when legal staff revoke a token: the console's, plus their own words when given."""
    note = (note or "").strip()
    return f"{REVOKED_BY_STAFF}: {note}" if note else REVOKED_BY_STAFF


def password_fingerprint(user) -> str:
    return salted_hmac(FINGERPRINT_SALT, user.password or "", algorithm="sha256").hexdigest()


def api_token_problem(token: ApiToken) -> str | None:
    """Why a token that matched its key must still be refused, or None. Checked on every use."""
    if token.password_fingerprint != password_fingerprint(token.user):
        return REVOKED_PASSWORD
    return None


@transaction.atomic
def api_token_create(*, user, name: str, scope: str, days: int, staff: bool, request=None) -> tuple[ApiToken, str]:
    """Mint a token for `user`; returns the row and the key (shown once, never stored)."""
    name = (name or "").strip()
    if not name:
        raise ApplicationError(TOKEN_NAME_REQUIRED, field="name")
    if scope not in ApiToken.Scope.values:
        raise ApplicationError("Choose read only or read and write.", field="scope")
    if staff:
        if not is_legal(user):
            raise ApplicationError(TOKEN_STAFF_NOT_LEGAL, field="staff")
        if not is_staff_verified(user):
            raise ApplicationError(TOKEN_STAFF_NEEDS_MFA, field="staff")
        if days > settings.API_TOKEN_STAFF_MAX_DAYS:
            raise ApplicationError(TOKEN_STAFF_TOO_LONG.format(days=settings.API_TOKEN_STAFF_MAX_DAYS), field="days")
    if days < 1 or days > settings.API_TOKEN_MAX_DAYS:
        raise ApplicationError(TOKEN_TOO_LONG.format(days=settings.API_TOKEN_MAX_DAYS), field="days")
    active = ApiToken.objects.select_for_update().filter(user=user, expiry__gt=timezone.now())
    count = len(active)
    if count >= settings.API_TOKEN_MAX_PER_USER:
        raise ApplicationError(TOKEN_TOO_MANY.format(count=count))
    token, key = ApiToken.objects.create(
        user,
        expiry=dt.timedelta(days=days),
        name=name,
        scope=scope,
        staff=staff,
        password_fingerprint=password_fingerprint(user),
    )
    events.api_token_created(token=token, actor=user, request=request)
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor, reason: str, request=None) -> None:
    deleted, _ = ApiToken.objects.filter(pk=token.pk).delete()
    if not deleted:
        raise ApplicationError(TOKEN_ALREADY_REVOKED)
    events.api_token_revoked(token=token, reason=reason, actor=actor, request=request)


@transaction.atomic
def api_tokens_revoke_for_user(*, user, reason: str, request=None) -> int:
    """Revoke every token of `user` (password changed, MFA removed); one audit entry per token."""
    tokens = list(ApiToken.objects.select_for_update().filter(user=user).select_related("user"))
    for token in tokens:
        api_token_revoke(token=token, actor=user, reason=reason, request=request)
    return len(tokens)


def api_token_touch(*, token: ApiToken, ip: str | None, now: dt.datetime | None = None) -> None:
    """Record the last use, at most once a minute per token (no write on every request)."""
    now = now or timezone.now()
    if token.last_used_at and now - token.last_used_at < dt.timedelta(minutes=1) and token.last_used_ip == ip:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=ip)
    token.last_used_at, token.last_used_ip = now, ip
