import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from subprocessors.changes.windows import earliest_effective_date, objection_deadline, objection_window_open

AMS = ZoneInfo("Europe/Amsterdam")
UTC = dt.UTC


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("announced", "expected"),
    [
        # Monday 14 Dec 2026: 15–18, 21–24 Dec are eight days, 25/26 Dec closed, 28 and 29 Dec make ten.
        (dt.datetime(2026, 12, 14, 10, 0, tzinfo=AMS), dt.date(2026, 12, 29)),
        # Friday 18 Dec 2026: 21–24, (25, 26 closed), 28–31, (1 Jan closed), 4, 5 Jan.
        (dt.datetime(2026, 12, 18, 10, 0, tzinfo=AMS), dt.date(2027, 1, 5)),
        # King's Day, Monday 27 April 2026, is closed: announced Monday 13 April → 28 April instead of 27.
        (dt.datetime(2026, 4, 13, 9, 0, tzinfo=AMS), dt.date(2026, 4, 28)),
        # Announced on a Saturday: counting starts on Monday 16 Nov; the tenth business day is Friday 27 Nov.
        (dt.datetime(2026, 11, 14, 12, 0, tzinfo=AMS), dt.date(2026, 11, 27)),
        # 23:30 UTC on Sunday 22 Nov is 00:30 on Monday 23 Nov in Amsterdam: Monday is the start date.
        (dt.datetime(2026, 11, 22, 23, 30, tzinfo=UTC), dt.date(2026, 12, 7)),
        # The same instant an hour earlier (22:30 UTC = 23:30 Sunday local) still counts from Sunday.
        (dt.datetime(2026, 11, 22, 22, 30, tzinfo=UTC), dt.date(2026, 12, 4)),
    ],
)
def test_earliest_effective_date_for_add_and_replace(announced, expected):
    assert earliest_effective_date("add", announced) == expected
    assert earliest_effective_date("replace", announced) == expected


@pytest.mark.django_db
def test_removals_and_modifications_may_be_immediate():
    announced = dt.datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    assert earliest_effective_date("remove", announced) == dt.date(2026, 11, 24)
    assert earliest_effective_date("modify", announced) == dt.date(2026, 11, 24)


def test_objection_window_closes_at_local_midnight_of_the_effective_date():
    effective = dt.date(2026, 12, 29)
    deadline = objection_deadline(effective)
    assert deadline == dt.datetime(2026, 12, 28, 23, 0, tzinfo=UTC)
    assert objection_window_open(effective, dt.datetime(2026, 12, 28, 23, 59, 59, tzinfo=AMS))
    assert not objection_window_open(effective, dt.datetime(2026, 12, 29, 0, 0, tzinfo=AMS))
