"""Who may do what. Legal staff are users in the `legal` group; staff pages also require MFA."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from rest_framework.permissions import BasePermission

LEGAL_GROUP = "legal"
MFA_REQUIRED_MESSAGE = "Staff pages need two-factor authentication. Set up an authenticator app to continue."


def is_legal(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    cached = getattr(user, "_portal_is_legal", None)
    if cached is None:
        cached = user.is_superuser or user.groups.filter(name=LEGAL_GROUP).exists()
        user._portal_is_legal = cached
    return cached


def has_mfa(user) -> bool:
    from allauth.mfa.utils import is_mfa_enabled

    cached = getattr(user, "_portal_has_mfa", None)
    if cached is None:
        cached = is_mfa_enabled(user)
        user._portal_has_mfa = cached
    return cached


def legal_required(perm: str | None = None):
    """Decorator for staff views: signed in, in the legal group (and holding `perm`), with MFA enabled."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not is_legal(user) or (perm and not user.has_perm(perm)):
                raise PermissionDenied("This page is for the processor's legal staff.")
            if not has_mfa(user):
                from django.contrib import messages

                messages.warning(request, MFA_REQUIRED_MESSAGE)
                return redirect("mfa_activate_totp")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


class IsLegalStaff(BasePermission):
    message = "This endpoint is for the processor's legal staff, with two-factor authentication enabled."

    def has_permission(self, request, view):
        return is_legal(request.user) and has_mfa(request.user)
