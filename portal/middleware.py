from django.contrib import messages
from django.shortcuts import redirect

from portal.permissions import MFA_REQUIRED_MESSAGE, has_mfa, is_legal

STAFF_PREFIXES = ("/staff/", "/admin/")


class StaffMfaMiddleware:
    """Staff must enable MFA before reaching any staff page, the Django admin included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(STAFF_PREFIXES):
            user = request.user
            if user.is_authenticated and (is_legal(user) or user.is_staff) and not has_mfa(user):
                messages.warning(request, MFA_REQUIRED_MESSAGE)
                return redirect("mfa_activate_totp")
        return self.get_response(request)
