from django.db import transaction

from portal.models import CalendarOverride
from portal.services.audit import audit_record


def _as_details(override: CalendarOverride) -> dict:
    return {"date": override.date.isoformat(), "kind": override.kind, "note": override.note}


@transaction.atomic
def calendar_override_add(*, date, kind: str, note: str = "", actor, request=None) -> CalendarOverride:
    override = CalendarOverride(date=date, kind=kind, note=note)
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
