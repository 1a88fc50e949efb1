import datetime as dt

from django.db.models import Count, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest

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


def staff_changes() -> QuerySet[SubprocessorChange]:
    """Every change with its objection counts; the staff list filters and sorts it further."""
    open_q = Q(objections__status__in=("received", "in_consultation"))
    qs = _with_parties(SubprocessorChange.objects.all()).annotate(
        objection_count=Count("objections", distinct=True),
        open_objection_count=Count("objections", filter=open_q, distinct=True),
    )
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


# --- the customer home (the organisation page) ---------------------------------------------------------


def upcoming_changes_for_organisation(*, organisation) -> list[SubprocessorChange]:
    """Announced, not yet effective changes with `org_objections`: this organisation's objections, newest first.

    Two queries whatever the number of changes or objections."""
    mine = Objection.objects.filter(organisation=organisation).order_by("-created_at", "-id")
    return list(
        _with_parties(SubprocessorChange.objects.filter(status=SubprocessorChange.Status.ANNOUNCED))
        .prefetch_related(Prefetch("objections", queryset=mine, to_attr="org_objections"))
        .order_by("effective_date", "id")
    )


def organisation_objections_with_activity(*, organisation) -> QuerySet[Objection]:
    """The organisation's objections with `last_activity`: the later of its last message and its last change."""
    return organisation_objections(organisation=organisation).annotate(
        last_activity=Greatest("updated_at", Coalesce(Max("messages__created_at"), "updated_at")),
    )


def organisation_webhooks_with_last_delivery(*, organisation) -> QuerySet[Webhook]:
    """Active webhooks with their newest delivery's status, HTTP code, error and time, in one query."""
    latest = WebhookDelivery.objects.filter(webhook=OuterRef("pk")).order_by("-created_at", "-id")
    return organisation_webhooks(organisation=organisation).annotate(
        last_delivery_status=Subquery(latest.values("status")[:1]),
        last_delivery_at=Subquery(latest.values("created_at")[:1]),
        last_delivery_code=Subquery(latest.values("last_status_code")[:1]),
        last_delivery_error=Subquery(latest.values("last_error")[:1]),
    )


def webhook_is_failing(webhook: Webhook) -> bool:
    """Its newest delivery gave up, or is waiting for a retry after an error."""
    status = getattr(webhook, "last_delivery_status", None)
    if status == WebhookDelivery.Status.FAILED:
        return True
    return status == WebhookDelivery.Status.PENDING and bool(getattr(webhook, "last_delivery_error", ""))
