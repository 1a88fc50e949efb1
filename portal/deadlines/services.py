import datetime as dt

from django.db import transaction

from portal.deadlines import events
from portal.deadlines.models import CalendarOverride


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
    events.calendar_override_added(override=override, actor=actor, request=request)
    return override


@transaction.atomic
def calendar_override_remove(*, override: CalendarOverride, actor, request=None) -> None:
    events.calendar_override_removed(override=override, actor=actor, request=request)
    override.delete()
