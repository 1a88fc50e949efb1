"""The callers of a staff API operation, for each staff API test's permission matrix.

`api_caller(who, ...)` gives an APIClient acting as `who`; READ and WRITE say what each caller gets from a reading
and an acting operation (None: the operation's own success code)."""

from django.contrib.auth.models import Group, Permission
from rest_framework.test import APIClient

from portal.core.permissions import LEGAL_GROUP
from tests.auth import login, staff_token, user_token

READ = {
    "anonymous": 401,
    "customer session": 403,
    "customer token": 403,
    "legal without MFA": 403,
    "legal without the permission": 403,
    "legal, read-only staff token": None,
    "legal with MFA": None,
    "legal, staff token": None,
}
WRITE = {**READ, "legal, read-only staff token": 403}


def api_caller(who: str, *, legal, legal_no_mfa, member, perm: str) -> APIClient:
    api = APIClient()
    if who == "customer session":
        login(api, member)
    elif who == "customer token":
        api.credentials(HTTP_AUTHORIZATION=f"Token {user_token(member)}")
    elif who == "legal without MFA":
        login(api, legal_no_mfa)
    elif who == "legal without the permission":
        app_label, codename = perm.split(".")
        Group.objects.get(name=LEGAL_GROUP).permissions.remove(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
        login(api, legal)
    elif who == "legal, read-only staff token":
        api.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(legal, scope='read')}")
    elif who == "legal with MFA":
        login(api, legal)
    elif who == "legal, staff token":
        api.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(legal)}")
    return api
