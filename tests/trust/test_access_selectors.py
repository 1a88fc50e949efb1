import datetime as dt

import pytest
from django.utils import timezone

from portal.core.permissions import mark_mfa_verified
from portal.trust.models import AccessRequest
from portal.trust.selectors import active_access_for, user_can_open
from tests.organisations.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.trust.factories import AccessRequestFactory, grant

LEVELS = ("public", "approved", "nda", "enterprise")


def _fresh(user):
    # Selectors cache on the user object, as a request's user would; tests reload between states.
    return type(user).objects.get(pk=user.pk)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", {"public"}),
        ("no_request", {"public"}),
        ("pending", {"public"}),
        ("approved", {"public", "approved"}),
        ("nda", {"public", "approved", "nda"}),
        ("expired", {"public"}),
        ("revoked", {"public"}),
        ("denied", {"public"}),
        ("self_serve_nda", {"public", "approved", "nda"}),
        ("enterprise_approved", {"public", "approved", "enterprise"}),
        ("enterprise_no_grant", {"public"}),
        ("legal", {"public", "approved", "nda", "enterprise"}),
        ("legal_no_mfa", {"public"}),
        ("legal_password_only", {"public"}),
    ],
)
def test_user_can_open_matrix(who, expected, legal, legal_no_mfa):
    from django.contrib.auth.models import AnonymousUser

    user = UserFactory()
    now = timezone.now()
    if who == "anonymous":
        user = AnonymousUser()
    elif who == "pending":
        AccessRequestFactory(user=user)
    elif who == "approved":
        grant(user, "approved")
    elif who == "nda":
        grant(user, "nda")
    elif who == "expired":
        AccessRequestFactory(
            user=user, status="approved", level="nda", decided_at=now, expires_at=now - dt.timedelta(seconds=1)
        )
    elif who == "revoked":
        g = grant(user, "nda")
        AccessRequest.objects.filter(pk=g.pk).update(status=AccessRequest.Status.REVOKED)
    elif who == "denied":
        AccessRequestFactory(user=user, status="denied", denial_reason="No business need")
    elif who == "self_serve_nda":
        MembershipFactory(user=user, organisation=OrganisationFactory(tier="self_serve"))
        grant(user, "nda")
    elif who == "enterprise_approved":
        MembershipFactory(user=user, organisation=OrganisationFactory(tier="enterprise"))
        grant(user, "approved")
    elif who == "enterprise_no_grant":
        MembershipFactory(user=user, organisation=OrganisationFactory(tier="enterprise"))
    elif who in ("legal", "legal_password_only"):
        user = legal
    elif who == "legal_no_mfa":
        user = legal_no_mfa
    if getattr(user, "pk", None):
        user = _fresh(user)
    # legal staff open everything only in a request whose login passed MFA (the middleware marks the user)
    mark_mfa_verified(user, who in ("legal", "legal_no_mfa"))
    assert {level for level in LEVELS if user_can_open(user, level)} == expected


@pytest.mark.django_db
def test_active_access_for_returns_newest_live_grant():
    user = UserFactory()
    assert active_access_for(_fresh(user)) is None
    grant(user, "approved")
    newer = grant(user, "nda")
    assert active_access_for(_fresh(user)) == newer


def test_unknown_level_is_a_programming_error():
    with pytest.raises(ValueError, match="Unknown access level"):
        user_can_open(None, "secret")
