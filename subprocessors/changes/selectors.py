import datetime as dt

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from portal.organisations.models import Organisation
from subprocessors.changes.models import ChangeRecipient, RecipientOrganisation, SubprocessorChange
from subprocessors.changes.windows import KINDS_NEEDING_NOTICE

PUBLIC_STATUSES = (
    SubprocessorChange.Status.ANNOUNCED,
    SubprocessorChange.Status.HELD,
    SubprocessorChange.Status.EFFECTIVE,
    "withdrawn",
)


PENDING_STATUSES = (SubprocessorChange.Status.ANNOUNCED, SubprocessorChange.Status.HELD)
_EMAIL_FIELDS = ("status", "sent_at", "created_at", "updated_at", "last_error", "attempts", "message_id")


def with_parties(qs: QuerySet) -> QuerySet:
    return qs.select_related("subprocessor", "replaces")


def changes_due(*, day: dt.date) -> QuerySet[SubprocessorChange]:
    """Announced changes whose date has come, and held ones (their hold lifts if the notice is now complete)."""
    return SubprocessorChange.objects.filter(status__in=PENDING_STATUSES, effective_date__lte=day).order_by(
        "effective_date", "id"
    )


def upcoming_changes() -> list[SubprocessorChange]:
    """Announced and held changes not yet effective, soonest first (the public page's "Upcoming changes")."""
    return list(
        with_parties(SubprocessorChange.objects.filter(status__in=PENDING_STATUSES)).order_by("effective_date", "id")
    )


def notice_gap_links() -> QuerySet[RecipientOrganisation]:
    """(organisation, address) links of enterprise organisations that no address had a notice of the change
    delivered to before the change's `notice_deadline_at`: whom the notice is still missing for, and where it
    was sent. Filter by `change` (or `change__in`)."""
    covered = RecipientOrganisation.objects.filter(
        change=OuterRef("change"),
        organisation=OuterRef("organisation"),
        recipient__notice_delivered_at__lt=OuterRef("change__notice_deadline_at"),
    )
    return RecipientOrganisation.objects.filter(organisation__tier=Organisation.Tier.ENTERPRISE).exclude(
        Exists(covered)
    )


def notice_incomplete_q(now: dt.datetime) -> Q:
    """Changes that are held, or past their notice deadline with an enterprise customer still without a notice
    (they will be held on their date): what the staff home lists as "notice incomplete"."""
    gaps = notice_gap_links().filter(change=OuterRef("pk"))
    late = Q(
        status=SubprocessorChange.Status.ANNOUNCED,
        kind__in=KINDS_NEEDING_NOTICE,
        notice_deadline_at__lte=now,
    ) & (Q(recipients_recorded_at__isnull=True) | Q(Exists(gaps)))
    return Q(status=SubprocessorChange.Status.HELD) | late


def notice_gaps_for(*, change_ids: list[int], per_change: int) -> tuple[dict[int, list], dict[int, int]]:
    """For each change: its first `per_change` gap links (organisation name order, with each address's notice
    emails) and the number of organisations without a notice. Two queries whatever the number of changes."""
    if not change_ids:
        return {}, {}
    gaps = notice_gap_links().filter(change_id__in=change_ids)
    counts = dict(
        gaps.order_by()
        .values("change_id")
        .annotate(n=Count("organisation_id", distinct=True))
        .values_list("change_id", "n")
    )
    rows = (
        gaps.select_related("organisation", "recipient__announce_email", "recipient__postpone_email")
        .annotate(
            row=Window(
                RowNumber(),
                partition_by=F("change_id"),
                order_by=(F("organisation__name").asc(), F("recipient__email").asc()),
            )
        )
        .filter(row__lte=per_change)
        .order_by("change_id", "organisation__name", "recipient__email")
    )
    listed: dict[int, list] = {}
    for link in rows:
        listed.setdefault(link.change_id, []).append(link)
    return listed, counts


def change_notice_gaps(*, change: SubprocessorChange) -> QuerySet[RecipientOrganisation]:
    return (
        notice_gap_links()
        .filter(change=change)
        .select_related("organisation", "recipient__announce_email", "recipient__postpone_email")
        .order_by("organisation__name", "recipient__email")
    )


def change_notice_gap_organisations(*, change: SubprocessorChange) -> QuerySet[Organisation]:
    """The enterprise organisations a notice is still missing for (for the alternate-contact form)."""
    org_ids = notice_gap_links().filter(change=change).values("organisation_id")
    return Organisation.objects.filter(pk__in=org_ids).order_by("name")


def public_changes(*, status: str | None = None) -> QuerySet[SubprocessorChange]:
    qs = with_parties(SubprocessorChange.objects.filter(status__in=PUBLIC_STATUSES))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-effective_date", "-id")


def staff_changes() -> QuerySet[SubprocessorChange]:
    """Every change with its objection counts; the staff list filters and sorts it further."""
    open_q = Q(objections__status__in=("received", "in_consultation"))
    qs = with_parties(SubprocessorChange.objects.all()).annotate(
        objection_count=Count("objections", distinct=True),
        open_objection_count=Count("objections", filter=open_q, distinct=True),
    )
    return qs.order_by("-created_at", "-id")


def change_notice_proof(*, change: SubprocessorChange) -> QuerySet[ChangeRecipient]:
    emails = ("announce_email", "postpone_email", "withdraw_email")
    return (
        ChangeRecipient.objects.filter(change=change)
        .select_related(*emails, "added_by")
        .only(
            "id",
            "email",
            "role",
            "organisation_names",
            "notice_delivered_at",
            "postpone_round",
            "created_at",
            "added_by__email",
            *(f"{email}__{field}" for email in emails for field in _EMAIL_FIELDS),
        )
        .order_by("email")
    )


def notice_email_outcome(email) -> dict:
    """One notice email as proof: queued, delivered or failed, with times, Message-ID and why not."""
    if email is None:
        return {"state": "", "queued_at": None, "sent_at": None, "failed_at": None, "message_id": "", "why": ""}
    failed = email.status == "failed"
    if email.sent_at:
        why = ""
    elif failed:
        why = f"failed: {email.last_error}"
    elif email.last_error:
        why = f"queued for retry after: {email.last_error}"
    else:
        why = f"{email.status} since {email.created_at:%Y-%m-%d %H:%M}"
    return {
        "state": "delivered" if email.sent_at else email.status,
        "queued_at": email.created_at,
        "sent_at": email.sent_at,
        "failed_at": email.updated_at if failed else None,
        "message_id": email.message_id,
        "why": why,
    }


def recipient_notice_in_time(recipient, change) -> bool | None:
    """Delivered before the change's notice deadline; None while nothing was delivered (or no deadline)."""
    if recipient.notice_delivered_at is None or change.notice_deadline_at is None:
        return None
    return recipient.notice_delivered_at < change.notice_deadline_at


def change_notice_counts(*, change: SubprocessorChange) -> dict:
    """Recipients, their announcement emails by outcome, deliveries in time and organisations still without one.

    Two queries."""
    deadline = change.notice_deadline_at
    on_time = Q(notice_delivered_at__lt=deadline) if deadline else Q(pk__isnull=True)
    counts = ChangeRecipient.objects.filter(change=change).aggregate(
        recipients=Count("id"),
        announce_sent=Count("id", filter=Q(announce_email__status="sent")),
        announce_failed=Count("id", filter=Q(announce_email__status="failed")),
        announce_missing=Count("id", filter=Q(announce_email__isnull=True)),
        delivered=Count("id", filter=Q(notice_delivered_at__isnull=False)),
        delivered_on_time=Count("id", filter=on_time),
    )
    counts["organisations_without_notice"] = (
        notice_gap_links().filter(change=change).values("organisation_id").distinct().count()
    )
    return counts


OPEN_STATUSES = (SubprocessorChange.Status.DRAFT, *PENDING_STATUSES)


def open_changes(*, subprocessor_ids) -> QuerySet[SubprocessorChange]:
    """Drafted, announced or held changes of these sub-processors (at most one each: change_create refuses a
    second), with both parties."""
    return with_parties(
        SubprocessorChange.objects.filter(status__in=OPEN_STATUSES, subprocessor_id__in=subprocessor_ids)
    )
