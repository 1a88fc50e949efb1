from django.db.models import Count, QuerySet
from django.http import Http404

from portal.models import AuditEvent, IssuedReport, Membership, Organisation, OutboundEmail


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


def audit_events(*, filters: dict) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.order_by("-id")
    if filters.get("action"):
        qs = qs.filter(action__icontains=filters["action"])
    if filters.get("actor"):
        qs = qs.filter(actor_label__icontains=filters["actor"])
    if filters.get("target_type"):
        qs = qs.filter(target_type__icontains=filters["target_type"])
    if filters.get("organisation"):
        qs = qs.filter(organisation_id=filters["organisation"].pk)
    if filters.get("since"):
        qs = qs.filter(created_at__date__gte=filters["since"])
    if filters.get("until"):
        qs = qs.filter(created_at__date__lte=filters["until"])
    return qs


def outbox_emails(*, filters: dict) -> QuerySet[OutboundEmail]:
    qs = OutboundEmail.objects.order_by("-id").only(
        "id",
        "to_email",
        "subject",
        "status",
        "attempts",
        "last_error",
        "template",
        "created_at",
        "sent_at",
        "updated_at",
    )
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("to"):
        qs = qs.filter(to_email__icontains=filters["to"])
    if filters.get("template"):
        qs = qs.filter(template__icontains=filters["template"])
    return qs


def issued_report_by_sha256(sha256: str) -> IssuedReport | None:
    """The evidence report the portal issued with exactly these bytes (the first time, if issued twice), or None.
    Anything that is not a SHA-256 in hex is simply not found."""
    sha256 = (sha256 or "").strip().lower()
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        return None
    return IssuedReport.objects.filter(sha256=sha256).order_by("issued_at", "id").first()


def issued_reports_about(*, subject, kind: str, limit: int = 10) -> list[IssuedReport]:
    """The newest reports of `kind` issued about `subject`, newest first."""
    return list(
        IssuedReport.objects.filter(kind=kind, subject_type=subject._meta.label, subject_id=str(subject.pk)).order_by(
            "-issued_at", "-id"
        )[:limit]
    )
