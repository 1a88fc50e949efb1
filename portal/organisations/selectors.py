from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from portal.core.permissions import LEGAL_GROUP
from portal.organisations.models import ApiToken, Membership, Organisation


def memberships_for_user(user) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("organisation").order_by("organisation__name")


def membership_for(user, organisation_public_id) -> Membership:
    """The user's membership of an organisation; 404 — exactly like a missing one — when not a member."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    membership = (
        Membership.objects.select_related("organisation")
        .filter(user=user, organisation__public_id=organisation_public_id)
        .first()
    )
    if membership is None:
        raise Http404
    return membership


def organisation_members(organisation: Organisation) -> QuerySet[Membership]:
    return Membership.objects.filter(organisation=organisation).select_related("user").order_by("user__email")


def staff_organisations() -> QuerySet[Organisation]:
    return Organisation.objects.annotate(member_count=Count("memberships")).order_by("name")


def legal_recipients() -> list[str]:
    emails = set(
        get_user_model().objects.filter(groups__name=LEGAL_GROUP, is_active=True).values_list("email", flat=True)
    )
    emails.add(settings.PORTAL_LEGAL_LEAD_EMAIL)
    return sorted(e.lower() for e in emails if e)


def staff_api_tokens(*, filters: dict) -> QuerySet[ApiToken]:
    """Every user's API tokens for legal staff, newest first: `q` (owner's email or token name contains) and
    `staff` (True: staff tokens only; False: the others)."""
    tokens = ApiToken.objects.select_related("user").order_by("-created", "public_id")
    if filters.get("q"):
        tokens = tokens.filter(Q(user__email__icontains=filters["q"]) | Q(name__icontains=filters["q"]))
    if filters.get("staff") is not None:
        tokens = tokens.filter(staff=filters["staff"])
    return tokens
