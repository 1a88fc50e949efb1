"""What every staff API operation (`/api/v1/staff/…`) shares: who may call it, and the answer when they may not.

The staff API does what the HTML console does, through the same services, so the same rules, errors and audit
events apply. A caller needs what the console needs: legal staff whose login passed MFA (a session, or a staff
token minted from one: portal.organisations.authentication), holding the Django permission the console page
checks for that method. A read-only token may only read (the authentication refuses its writes).
"""

from collections.abc import Sequence

from rest_framework import permissions
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.views import APIView

from portal.core.permissions import STAFF_API_MESSAGE, is_staff_verified

STAFF_PERMISSION_MESSAGE = "Your staff account may not do this (it lacks the permission `{perm}`)."


class StaffPermission(permissions.BasePermission):
    """Legal staff after MFA, holding `view.staff_permissions[method]` when the view names one.

    `staff_permissions = {"GET": "listing.view_subprocessor", "POST": "listing.add_subprocessor"}`; HEAD and
    OPTIONS use GET's. An object-level action with its own permission checks it in the handler with
    `require_perm(request, perm)`."""

    message = STAFF_API_MESSAGE

    def has_permission(self, request, view):
        if not is_staff_verified(request.user):
            return False
        method = "GET" if request.method in ("HEAD", "OPTIONS") else request.method
        perm = getattr(view, "staff_permissions", {}).get(method)
        if perm and not request.user.has_perm(perm):
            self.message = STAFF_PERMISSION_MESSAGE.format(perm=perm)
            return False
        return True


def require_perm(view: APIView, request, perm: str) -> None:
    """For an action whose permission differs from its method's (approve versus edit): 403 with the same message."""
    if not request.user.has_perm(perm):
        view.permission_denied(request, message=STAFF_PERMISSION_MESSAGE.format(perm=perm))


# Staff bodies are JSON unless an operation uploads a file (it names its parsers). A form body cannot say
# "not sent" apart from "empty" or "false": an empty or garbled multipart PATCH was read as a valid empty edit.
STAFF_PARSERS: Sequence[type[BaseParser]] = [JSONParser]


class StaffAPIView(APIView):
    permission_classes = [StaffPermission]
    parser_classes = STAFF_PARSERS
    staff_permissions: dict[str, str] = {}


class StaffGenericAPIView(GenericAPIView):
    permission_classes = [StaffPermission]
    parser_classes = STAFF_PARSERS
    staff_permissions: dict[str, str] = {}
