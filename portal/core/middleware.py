from django.shortcuts import redirect

from portal.core.permissions import is_legal, is_mfa_verified, mark_mfa_verified, mfa_next_step, session_passed_mfa

STAFF_PREFIXES = ("/staff/", "/admin/")


class MfaSessionMiddleware:
    """Marks the signed-in user of this request as MFA-verified when this session's login passed a second factor,
    and keeps every staff page and the Django admin behind that: a staff or legal user whose login did not pass
    MFA is sent to set up an authenticator or to confirm with one, before any staff data is read."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if session_passed_mfa(request):
            mark_mfa_verified(request.user, True)
        if request.path.startswith(STAFF_PREFIXES):
            user = request.user
            if user.is_authenticated and (is_legal(user) or user.is_staff) and not is_mfa_verified(user):
                return redirect(mfa_next_step(request))
        return self.get_response(request)
