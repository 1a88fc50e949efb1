"""The obligation register as CSV rows: one layout for the console's export and the staff API's."""

import datetime as dt
from collections.abc import Iterator

from django.db.models import QuerySet

from portal.deadlines.models import Obligation

CSV_HEADER = [
    "id",
    "kind",
    "organisation",
    "title",
    "source",
    "received_at_utc",
    "due_at_utc",
    "status",
    "completed_at_utc",
    "on_time",
    "completed_by",
    "evidence",
]


def _utc(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ") if value else ""


def obligation_csv_rows(qs: QuerySet[Obligation], *, now: dt.datetime) -> Iterator[list]:
    for o in qs.iterator(chunk_size=500):
        state = o.status
        if o.status == Obligation.Status.OPEN and o.due_at < now:
            state = "overdue"
        on_time = "" if o.completed_at is None else ("yes" if o.completed_at <= o.due_at else "no")
        yield [
            o.public_id,
            o.get_kind_display(),
            o.organisation.name,
            o.title,
            o.source,
            _utc(o.received_at),
            _utc(o.due_at),
            state,
            _utc(o.completed_at),
            on_time,
            o.completed_by.email if o.completed_by else "",
            o.evidence,
        ]
