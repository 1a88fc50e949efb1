"""Reads for trust-portal access: who may open what, the staff queue, due follow-ups."""

from datetime import timedelta

from django.db.models import Case, Q, QuerySet, Value, When
from django.utils import timezone

from portal.core.permissions import is_staff_verified
from portal.organisations.models import Membership, Organisation
from portal.trust.models import AccessLevel, AccessRequest, GrantLevel, NdaVersion, TrustDocument

LEVELS = tuple(AccessLevel.values)


def active_access_for(user) -> AccessRequest | None:
    """The user's current grant (an approved, unexpired request), or None. Cached on the user object."""
    if not getattr(user, "is_authenticated", False):
        return None
    if hasattr(user, "_portal_active_access"):
        return user._portal_active_access
    grant = (
        AccessRequest.objects.filter(user=user, status=AccessRequest.Status.APPROVED, expires_at__gt=timezone.now())
        .select_related("organisation")
        .order_by("-decided_at", "-id")
        .first()
    )
    user._portal_active_access = grant
    return grant


def is_enterprise_member(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    cached = getattr(user, "_portal_enterprise_member", None)
    if cached is None:
        cached = Membership.objects.filter(user=user, organisation__tier=Organisation.Tier.ENTERPRISE).exists()
        user._portal_enterprise_member = cached
    return cached


def user_can_open(user, level: str) -> bool:
    """May `user` open a document at `level` (public, approved, nda, enterprise)?

    Legal staff whose login passed two-factor authentication open everything; otherwise they are treated as
    customers."""
    if level not in LEVELS:
        raise ValueError(f"Unknown access level {level!r}")
    if level == AccessLevel.PUBLIC:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    if is_staff_verified(user):
        return True
    grant = active_access_for(user)
    if grant is None:
        return False
    if level == AccessLevel.APPROVED:
        return True
    if level == AccessLevel.NDA:
        return grant.level == GrantLevel.NDA
    return is_enterprise_member(user)


def what_opens(level: str) -> str:
    """What a visitor needs for a locked document, in words for the document list."""
    opens: dict[str, str] = {
        AccessLevel.APPROVED: "Request access",
        AccessLevel.NDA: "Request access under NDA",
        AccessLevel.ENTERPRISE: "Enterprise plan required",
    }
    return opens.get(level, "")


def current_nda() -> NdaVersion | None:
    return NdaVersion.objects.filter(published_at__lte=timezone.now()).order_by("-published_at", "-id").first()


def pending_request_for(user) -> AccessRequest | None:
    return AccessRequest.objects.filter(user=user, status=AccessRequest.Status.PENDING).first()


def access_requests_for_user(user) -> QuerySet[AccessRequest]:
    return (
        AccessRequest.objects.filter(user=user)
        .select_related("organisation", "nda_version")
        .order_by("-submitted_at", "-id")
    )


def access_queue(*, filters: dict | None = None, pending_first: bool = False) -> QuerySet[AccessRequest]:
    """Staff queue: oldest first (with `pending_first`, undecided requests before the rest). Filters: status
    (default pending; "all"), q (email/company), tier, overdue, organisation (public id), level."""
    filters = filters or {}
    status = filters.get("status") or AccessRequest.Status.PENDING
    qs = AccessRequest.objects.select_related("user", "organisation", "decided_by", "auto_rule")
    if status != "all":
        qs = qs.filter(status=status)
    if filters.get("q"):
        q = filters["q"]
        qs = qs.filter(Q(user__email__icontains=q) | Q(company__icontains=q))
    if filters.get("tier"):
        qs = qs.filter(organisation__tier=filters["tier"])
    if filters.get("overdue"):
        qs = qs.filter(status=AccessRequest.Status.PENDING, due_at__lt=timezone.now())
    if filters.get("organisation"):
        qs = qs.filter(organisation__public_id=filters["organisation"])
    if filters.get("level"):
        qs = qs.filter(level=filters["level"])
    if pending_first:
        undecided = Case(When(status=AccessRequest.Status.PENDING, then=Value(0)), default=Value(1))
        return qs.order_by(undecided, "submitted_at", "id")
    return qs.order_by("submitted_at", "id")


def documents_listed() -> QuerySet[TrustDocument]:
    return (
        TrustDocument.objects.filter(retired_at__isnull=True, current_version__isnull=False)
        .select_related("current_version")
        .order_by("category", "title")
    )


# Listed documents (no retirement date) first, as the staff page shows them.
DOCUMENT_STATE_ORDER = Case(When(retired_at__isnull=True, then=Value(0)), default=Value(1))


def staff_documents() -> QuerySet[TrustDocument]:
    """Every document, retired ones too, in the staff page's default order."""
    return TrustDocument.objects.select_related("current_version").order_by(DOCUMENT_STATE_ORDER, "category", "title")


def documents_for(user) -> list[tuple[TrustDocument, bool]]:
    """Every listed document with whether `user` may open it."""
    return [(doc, user_can_open(user, doc.access_level)) for doc in documents_listed()]


def requests_to_escalate(now=None) -> QuerySet[AccessRequest]:
    now = now or timezone.now()
    return AccessRequest.objects.filter(
        status=AccessRequest.Status.PENDING, due_at__lt=now, escalated_at__isnull=True
    ).order_by("id")


def grants_to_warn(now=None, *, days: int) -> QuerySet[AccessRequest]:
    now = now or timezone.now()
    return AccessRequest.objects.filter(
        status=AccessRequest.Status.APPROVED,
        expires_at__gt=now,
        expires_at__lte=now + timedelta(days=days),
        expiry_warning_sent_at__isnull=True,
    ).order_by("id")


def grants_to_expire(now=None) -> QuerySet[AccessRequest]:
    now = now or timezone.now()
    return AccessRequest.objects.filter(status=AccessRequest.Status.APPROVED, expires_at__lte=now).order_by("id")
