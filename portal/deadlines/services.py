import datetime as dt

from django.db import transaction

from portal.audit.services import audit_record
from portal.deadlines.models import CalendarOverride


def _as_details(override: CalendarOverride) -> dict:
    if override.recurrence == CalendarOverride.Recurrence.YEARLY:
        when = {"recurrence": override.recurrence, "month": override.month, "day": override.day}
    else:
        assert override.date is not None  # a one-off override has its date (the model's constraint)
        when = {"recurrence": override.recurrence, "date": override.date.isoformat()}
    return {**when, "kind": override.kind, "note": override.note}


@transaction.atomic
def calendar_override_add(
    *,
    kind: str,
    note: str = "",
    recurrence: str = CalendarOverride.Recurrence.ONCE,
    date: dt.date | None = None,
    month: int | None = None,
    day: int | None = None,
    actor,
    request=None,
) -> CalendarOverride:
    """A closed or re-opened day: on `date` only, or every year on `month`/`day` (recurrence="yearly")."""
    override = CalendarOverride(recurrence=recurrence, date=date, month=month, day=day, kind=kind, note=note)
    override.full_clean()
    override.save()
    audit_record(
        action="calendar.override_added",
        actor=actor,
        target=override,
        request=request,
        details={"after": _as_details(override)},
    )
    return override


@transaction.atomic
def calendar_override_remove(*, override: CalendarOverride, actor, request=None) -> None:
    audit_record(
        action="calendar.override_removed",
        actor=actor,
        target=override,
        request=request,
        details={"before": _as_details(override)},
    )
    override.delete()
