"""Who may do what.

Legal staff are users in the `legal` group (superusers count as legal). Staff *powers* — every staff page, the
Django admin, staff API operations — need more than membership: the request must come from a login that passed
two-factor authentication in this session (allauth records each authentication step in the session), or carry
an API token that was minted from such a session. Having an authenticator is not enough: a password-only login
of a user with TOTP gets no staff data.
"""

from functools import wraps

from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY, get_authentication_records
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from rest_framework.permissions import BasePermission

LEGAL_GROUP = "legal"
MFA_REQUIRED_MESSAGE = "Staff pages need two-factor authentication. Set up an authenticator app to continue."
MFA_CONFIRM_MESSAGE = "Staff pages need a sign-in confirmed with your authenticator app. Enter a code to continue."
STAFF_API_MESSAGE = (
    "This endpoint is for the processor's legal staff, signed in with two-factor authentication "
    "(a session that passed MFA, or a staff token created from one)."
)
# Set on the user object for the current request only: by MfaSessionMiddleware for a session, by the token
# authentication for a staff token. Never stored.
_VERIFIED_ATTR = "_portal_mfa_verified"


def is_legal(user) -> bool:
    """In the legal group (or a superuser). Says nothing about this login: see `is_staff_verified`."""
    if not getattr(user, "is_authenticated", False):
        return False
    cached = getattr(user, "_portal_is_legal", None)
    if cached is None:
        cached = user.is_superuser or user.groups.filter(name=LEGAL_GROUP).exists()
        user._portal_is_legal = cached
    return cached


def has_mfa(user) -> bool:
    """The user has an authenticator set up (whether or not this login used it)."""
    cached = getattr(user, "_portal_has_mfa", None)
    if cached is None:
        cached = is_mfa_enabled(user)
        user._portal_has_mfa = cached
    return cached


def session_passed_mfa(request) -> bool:
    """Did this session's login (or a later re-authentication) pass a second factor for the signed-in user?"""
    session = getattr(request, "session", None)
    raw = session.get(AUTHENTICATION_METHODS_SESSION_KEY) if session is not None else None
    if not isinstance(raw, list) or not any(isinstance(r, dict) and r.get("method") == "mfa" for r in raw):
        return False  # decided from the session alone: no user query for visitors and customers
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return False
    return any(record.get("method") == "mfa" for record in get_authentication_records(request, user))


def mark_mfa_verified(user, verified: bool) -> None:
    setattr(user, _VERIFIED_ATTR, bool(verified))


def is_mfa_verified(user) -> bool:
    """This request's login passed MFA (or came with a staff token), and the user still has an authenticator."""
    return bool(getattr(user, _VERIFIED_ATTR, False)) and has_mfa(user)


def is_staff_verified(user) -> bool:
    """Legal staff acting with staff powers in this request: legal, and this login passed MFA (or a staff token)."""
    return is_legal(user) and is_mfa_verified(user)


def mfa_next_step(request) -> str:
    """Where to send a staff user who may not use staff powers yet: set up TOTP, or confirm this login with it."""
    if not has_mfa(request.user):
        messages.warning(request, MFA_REQUIRED_MESSAGE)
        return reverse("mfa_activate_totp")
    messages.warning(request, MFA_CONFIRM_MESSAGE)
    return f"{reverse('mfa_reauthenticate')}?{urlencode({'next': request.get_full_path()})}"


def legal_required(perm: str | None = None):
    """Decorator for staff views: signed in, in the legal group (and holding `perm`), and this login passed MFA."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not is_legal(user) or (perm and not user.has_perm(perm)):
                raise PermissionDenied("This page is for the processor's legal staff.")
            if not is_staff_verified(user):
                return redirect(mfa_next_step(request))
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


class IsLegalStaff(BasePermission):
    message = STAFF_API_MESSAGE

    def has_permission(self, request, view):
        return is_staff_verified(request.user)
