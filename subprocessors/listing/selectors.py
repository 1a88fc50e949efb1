"""Reads of the sub-processor list: the current public list with filters, the list as of a past day, history."""

import datetime as dt

from django.db.models import Case, Field, IntegerField, Max, Q, QuerySet, Value, When

from portal.deadlines.calendar import end_of_local_day, local_date
from subprocessors.listing.models import SNAPSHOT_FIELDS, Subprocessor, SubprocessorRevision

CATEGORY_ORDER = [c.value for c in Subprocessor.Category]
PUBLIC_STATUSES = (Subprocessor.Status.ACTIVE, Subprocessor.Status.RETIRED)
CATEGORY_RANK = Case(
    *[When(category=c, then=Value(i)) for i, c in enumerate(CATEGORY_ORDER)],
    default=Value(len(CATEGORY_ORDER)),
    output_field=IntegerField(),
)


def public_subprocessors(*, filters: dict | None = None) -> QuerySet[Subprocessor]:
    """Rows a visitor may see, filtered. Filter keys (all optional, all combine):
    category, eea_only, no_retention / retains_prompts, no_training / trains_on_data, country, search, status
    ("active" by default, "retired", or "all" for both)."""
    filters = filters or {}
    status = filters.get("status") or Subprocessor.Status.ACTIVE
    qs = Subprocessor.objects.all()
    qs = qs.filter(status__in=PUBLIC_STATUSES) if status == "all" else qs.filter(status=status)
    if filters.get("category"):
        qs = qs.filter(category=filters["category"])
    if filters.get("eea_only") is not None:
        qs = qs.filter(eea_only=filters["eea_only"])
    if filters.get("no_retention"):
        qs = qs.filter(retains_prompts=False)
    if filters.get("retains_prompts") is not None:
        qs = qs.filter(retains_prompts=filters["retains_prompts"])
    if filters.get("no_training"):
        qs = qs.filter(trains_on_data=False)
    if filters.get("trains_on_data") is not None:
        qs = qs.filter(trains_on_data=filters["trains_on_data"])
    if filters.get("country"):
        code = filters["country"].upper()
        qs = qs.filter(Q(hq_country=code) | Q(processing_region=code))
    if filters.get("search"):
        term = filters["search"].strip()
        qs = qs.filter(
            Q(name__icontains=term)
            | Q(legal_entity__icontains=term)
            | Q(purpose__icontains=term)
            | Q(customer_data_note__icontains=term)
            | Q(location__icontains=term)
        )
    return qs.annotate(category_rank=CATEGORY_RANK).order_by("category_rank", "position", "name", "id")


def staff_subprocessors() -> QuerySet[Subprocessor]:
    """Every row, whatever its status (proposed, active, retired), in the public list's order; the staff list
    filters it further (filters.SubprocessorFilter)."""
    return Subprocessor.objects.annotate(category_rank=CATEGORY_RANK).order_by(
        "category_rank", "position", "name", "id"
    )


def country_codes_in_use() -> set[str]:
    """HQ countries and processing regions of active rows (for the country filter), in one query."""
    pairs = Subprocessor.objects.filter(status=Subprocessor.Status.ACTIVE).values_list(
        "hq_country", "processing_region"
    )
    return {code for pair in pairs.distinct() for code in pair if code}


def last_updated() -> dt.date | None:
    """The list's "Last updated" date: the local date of the newest public change."""
    moment = SubprocessorRevision.objects.filter(public=True).aggregate(m=Max("changed_at"))["m"]
    return local_date(moment) if moment else None


def history_revisions() -> QuerySet[SubprocessorRevision]:
    """Every public change to the list, newest first."""
    return (
        SubprocessorRevision.objects.filter(public=True).select_related("subprocessor").order_by("-changed_at", "-id")
    )


def _from_snapshot(pk: int, data: dict) -> Subprocessor:
    values = {}
    for name in SNAPSHOT_FIELDS:
        if name not in data:
            continue
        field = Subprocessor._meta.get_field(name)
        assert isinstance(field, Field)  # snapshot fields are columns, not reverse relations
        values[name] = field.to_python(data[name])
    return Subprocessor(pk=pk, **values)


def subprocessors_as_of(day: dt.date) -> list[Subprocessor]:
    """The active list as it stood at the end of `day` (portal time zone), rebuilt from history.

    Returns unsaved Subprocessor instances (pk set; every public field as it was then), ordered like the
    public page: by category, position, name."""
    return subprocessors_at(end_of_local_day(day))


def subprocessors_at(moment: dt.datetime) -> list[Subprocessor]:
    """The active list as it stood at `moment` (every revision changed at or before it), like
    `subprocessors_as_of` but to the instant: the history records each change's exact time."""
    revisions = (
        SubprocessorRevision.objects.filter(changed_at__lte=moment)
        .order_by("subprocessor_id", "-changed_at", "-id")
        .values_list("subprocessor_id", "snapshot")
    )
    latest: dict[int, dict] = {}
    for pk, data in revisions.iterator(chunk_size=2000):
        latest.setdefault(pk, data)
    rows = [_from_snapshot(pk, data) for pk, data in latest.items() if data.get("status") == Subprocessor.Status.ACTIVE]
    rows.sort(key=lambda s: (CATEGORY_ORDER.index(s.category), s.position, s.name.lower(), s.pk))
    return rows
