"""Who calls a staff API operation: the role × operation matrix shared by the staff API tests of this part."""

from django.contrib.auth.models import Group, Permission

from tests.auth import login, staff_token

# anonymous; a customer (org member, session); legal staff whose session skipped MFA; legal staff with a
# read-only staff token; legal staff after MFA (session); legal staff with a read-and-write staff token.
ROLES = ("anonymous", "customer", "legal_no_mfa", "read_token", "legal", "staff_token")


def expected_status(role: str, *, ok: int, write: bool) -> int:
    if role == "anonymous":
        return 401
    if role in ("legal", "staff_token") or (role == "read_token" and not write):
        return ok
    return 403


def act_as(api, role: str, request):
    """Set `api`'s credentials for `role` (fixtures fetched from pytest's `request`); returns the user, if any."""
    if role == "anonymous":
        return None
    if role in ("customer", "legal_no_mfa"):
        user = request.getfixturevalue("member" if role == "customer" else "legal_no_mfa")
        login(api, user)
        return user
    legal = request.getfixturevalue("legal")
    if role == "legal":
        login(api, legal)
    else:
        scope = "read" if role == "read_token" else "write"
        api.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(legal, scope=scope)}")
    return legal


def legal_without(perm: str) -> None:
    """Take one Django permission away from the legal group (for this test's transaction)."""
    app_label, codename = perm.split(".")
    Group.objects.get(name="legal").permissions.remove(
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
    )
