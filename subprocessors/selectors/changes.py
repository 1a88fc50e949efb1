import datetime as dt

from django.db.models import Count, Q, QuerySet

from subprocessors.models import ChangeRecipient, Objection, SubprocessorChange, Webhook, WebhookDelivery

PUBLIC_STATUSES = (SubprocessorChange.Status.ANNOUNCED, SubprocessorChange.Status.EFFECTIVE, "withdrawn")


def _with_parties(qs: QuerySet) -> QuerySet:
    return qs.select_related("subprocessor", "replaces")


def changes_due(*, day: dt.date) -> QuerySet[SubprocessorChange]:
    return SubprocessorChange.objects.filter(
        status=SubprocessorChange.Status.ANNOUNCED, effective_date__lte=day
    ).order_by("effective_date", "id")


def upcoming_changes() -> list[SubprocessorChange]:
    """Announced changes not yet effective, soonest first (the public page's "Upcoming changes")."""
    return list(
        _with_parties(SubprocessorChange.objects.filter(status=SubprocessorChange.Status.ANNOUNCED)).order_by(
            "effective_date", "id"
        )
    )


def public_changes(*, status: str | None = None) -> QuerySet[SubprocessorChange]:
    qs = _with_parties(SubprocessorChange.objects.filter(status__in=PUBLIC_STATUSES))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-effective_date", "-id")


def staff_changes(*, status: str = "") -> QuerySet[SubprocessorChange]:
    """Every change with its objection counts; the staff list filters and sorts it further."""
    open_q = Q(objections__status__in=("received", "in_consultation"))
    qs = _with_parties(SubprocessorChange.objects.all()).annotate(
        objection_count=Count("objections", distinct=True),
        open_objection_count=Count("objections", filter=open_q, distinct=True),
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def change_notice_proof(*, change: SubprocessorChange) -> QuerySet[ChangeRecipient]:
    return (
        ChangeRecipient.objects.filter(change=change)
        .select_related("announce_email", "withdraw_email")
        .only(
            "id",
            "email",
            "role",
            "organisation_names",
            "announce_email__status",
            "announce_email__sent_at",
            "announce_email__created_at",
            "announce_email__last_error",
            "announce_email__attempts",
            "withdraw_email__status",
            "withdraw_email__sent_at",
            "withdraw_email__created_at",
            "withdraw_email__last_error",
        )
        .order_by("email")
    )


def change_notice_counts(*, change: SubprocessorChange) -> dict:
    recipients = ChangeRecipient.objects.filter(change=change)
    return {
        "recipients": recipients.count(),
        "announce_sent": recipients.filter(announce_email__status="sent").count(),
        "announce_failed": recipients.filter(announce_email__status="failed").count(),
        "announce_missing": recipients.filter(announce_email__isnull=True).count(),
    }


def change_objections(*, change: SubprocessorChange) -> QuerySet[Objection]:
    return change.objections.select_related("organisation", "raised_by").order_by("created_at")


def objection_status_counts(*, change: SubprocessorChange) -> dict[str, int]:
    counts = dict(change.objections.values_list("status").order_by().annotate(n=Count("id")))
    return {label: counts.get(value, 0) for value, label in Objection.Status.choices}


def organisation_objections(*, organisation) -> QuerySet[Objection]:
    return (
        Objection.objects.filter(organisation=organisation)
        .select_related("change__subprocessor", "change__replaces", "raised_by")
        .order_by("-created_at")
    )


def organisation_webhooks(*, organisation) -> QuerySet[Webhook]:
    return Webhook.objects.filter(organisation=organisation, active=True).order_by("url")


def webhook_deliveries(*, organisation) -> QuerySet[WebhookDelivery]:
    return (
        WebhookDelivery.objects.filter(webhook__organisation=organisation)
        .select_related("webhook")
        .order_by("-created_at", "-id")
    )
