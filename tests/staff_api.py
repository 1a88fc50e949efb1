"""Callers of the staff API (`/api/v1/staff/…`) for permission matrices: who they are and what they get."""

from django.contrib.auth.models import Group, Permission
from rest_framework.test import APIClient

from tests.auth import login, staff_token
from tests.organisations.factories import UserFactory, make_legal

# caller -> (may read, may write)
CALLERS = {
    "anonymous": (False, False),
    "customer": (False, False),
    "legal_without_mfa": (False, False),
    "legal_read_token": (True, False),
    "legal_without_permission": (False, False),
    "legal_session": (True, True),
    "legal_token": (True, True),
}
REFUSED = (401, 403)


def api_client(who: str, request, *, without: str | None = None) -> APIClient:
    """An API client signed in as `who` (see CALLERS). `without`: the Django permission (app.codename) that the
    legal group loses for "legal_without_permission"."""
    client = APIClient()
    if who == "anonymous":
        return client
    if who == "customer":
        login(client, request.getfixturevalue("member"))
        return client
    if who == "legal_without_mfa":
        login(client, make_legal(UserFactory(email="no-mfa@processor.example"), mfa=False))
        return client
    user = make_legal(UserFactory(email=f"{who}@processor.example"))
    if who == "legal_without_permission":
        app_label, codename = (without or "").split(".")
        perm = Permission.objects.get(content_type__app_label=app_label, codename=codename)
        Group.objects.get(name="legal").permissions.remove(perm)
    if who in ("legal_session", "legal_without_permission"):
        login(client, user)
    else:
        scope = "read" if who == "legal_read_token" else "write"
        client.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(user, scope=scope)}")
    return client


def expected_ok(who: str, *, write: bool) -> bool:
    may_read, may_write = CALLERS[who]
    return may_write if write else may_read
