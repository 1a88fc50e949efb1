from django.db.models import Count, Max, Prefetch, QuerySet
from django.db.models.functions import Coalesce, Greatest

from subprocessors.changes.models import SubprocessorChange
from subprocessors.changes.selectors import PENDING_STATUSES, with_parties
from subprocessors.objections.models import OPEN_STATUSES, Objection


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


def organisation_objections_with_activity(*, organisation) -> QuerySet[Objection]:
    """The organisation's objections with `last_activity`: the later of its last message and its last change."""
    return organisation_objections(organisation=organisation).annotate(
        last_activity=Greatest("updated_at", Coalesce(Max("messages__created_at"), "updated_at")),
    )


def upcoming_changes_for_organisation(*, organisation) -> list[SubprocessorChange]:
    """Announced or held, not yet effective changes with `org_objections`: this organisation's objections, newest
    first.

    Two queries whatever the number of changes or objections."""
    mine = Objection.objects.filter(organisation=organisation).order_by("-created_at", "-id")
    return list(
        with_parties(SubprocessorChange.objects.filter(status__in=PENDING_STATUSES))
        .prefetch_related(Prefetch("objections", queryset=mine, to_attr="org_objections"))
        .order_by("effective_date", "id")
    )


def staff_objections(*, filters: dict | None = None) -> QuerySet[Objection]:
    """Every objection for legal staff, newest first, with what a row shows and `message_count`.

    `filters`: `status` (a status, or "open" for received and in consultation), `change` and `organisation`
    (model instances)."""
    filters = filters or {}
    qs = Objection.objects.select_related(
        "change__subprocessor", "change__replaces", "organisation", "raised_by"
    ).annotate(message_count=Count("messages"))
    status = filters.get("status")
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    if filters.get("change") is not None:
        qs = qs.filter(change=filters["change"])
    if filters.get("organisation") is not None:
        qs = qs.filter(organisation=filters["organisation"])
    return qs.order_by("-created_at", "-id")
