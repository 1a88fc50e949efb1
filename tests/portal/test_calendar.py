import datetime as dt

import pytest

from portal.calendar import (
    add_business_days,
    business_days_between,
    end_of_local_day,
    is_business_day,
    local_date,
)
from portal.models import CalendarOverride

D = dt.date
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # Friday before Christmas 2026: 25 Dec (Fri) and 1 Jan (Fri) are holidays, 26 Dec is a Saturday.
        (D(2026, 12, 18), 5, D(2026, 12, 28)),
        (D(2026, 12, 18), 10, D(2027, 1, 5)),
        (D(2026, 12, 24), 1, D(2026, 12, 28)),
        (D(2026, 12, 31), 1, D(2027, 1, 4)),
        # Easter 2026: Good Friday 3 Apr and Easter Monday 6 Apr are closed in the default calendar.
        (D(2026, 4, 2), 1, D(2026, 4, 7)),
        (D(2026, 3, 27), 10, D(2026, 4, 14)),
        # King's Day, Monday 27 April 2026.
        (D(2026, 4, 24), 1, D(2026, 4, 28)),
        (D(2026, 4, 20), 10, D(2026, 5, 5)),
        # Ascension Day, Thursday 14 May 2026.
        (D(2026, 5, 13), 2, D(2026, 5, 18)),
        # Pentecost Monday 25 May 2026.
        (D(2026, 5, 22), 1, D(2026, 5, 26)),
        # Starting on a weekend: counting starts the next day.
        (D(2026, 11, 28), 1, D(2026, 11, 30)),
        (D(2026, 11, 29), 2, D(2026, 12, 1)),
        # Starting on a holiday.
        (D(2026, 12, 25), 1, D(2026, 12, 28)),
        # Zero days is the start date itself.
        (D(2026, 11, 28), 0, D(2026, 11, 28)),
        # An ordinary week.
        (D(2026, 11, 23), 10, D(2026, 12, 7)),
    ],
)
def test_add_business_days(start, days, expected):
    assert add_business_days(start, days) == expected


def test_extra_closed_day_pushes_the_deadline():
    # given the operator closes the office on Monday 28 December 2026
    CalendarOverride.objects.create(date=D(2026, 12, 28), kind=CalendarOverride.Kind.CLOSED, note="Office closed")
    # then counting skips it as well as Christmas
    assert add_business_days(D(2026, 12, 24), 1) == D(2026, 12, 29)
    assert not is_business_day(D(2026, 12, 28))


def test_reopened_holiday_counts_as_a_business_day():
    CalendarOverride.objects.create(date=D(2026, 4, 3), kind=CalendarOverride.Kind.OPEN, note="Good Friday worked")
    assert add_business_days(D(2026, 4, 2), 1) == D(2026, 4, 3)


def test_open_override_never_makes_a_weekend_a_business_day():
    CalendarOverride.objects.create(date=D(2026, 12, 26), kind=CalendarOverride.Kind.OPEN)
    assert not is_business_day(D(2026, 12, 26))


def test_business_days_between_is_the_inverse_of_add():
    assert business_days_between(D(2026, 12, 18), D(2027, 1, 5)) == 10
    assert business_days_between(D(2026, 12, 18), D(2027, 1, 4)) == 9
    assert business_days_between(D(2026, 12, 25), D(2026, 12, 27)) == 0
    assert business_days_between(D(2027, 1, 5), D(2026, 12, 18)) == -10
    for days in range(0, 25):
        assert business_days_between(D(2026, 12, 11), add_business_days(D(2026, 12, 11), days)) == days


def test_negative_days_refused():
    with pytest.raises(ValueError, match="zero or positive"):
        add_business_days(D(2026, 1, 1), -1)


def test_local_date_crosses_midnight_in_amsterdam():
    # 23:30 UTC in winter (CET, UTC+1) is already tomorrow in Amsterdam.
    assert local_date(dt.datetime(2026, 11, 23, 23, 30, tzinfo=dt.UTC)) == D(2026, 11, 24)
    assert local_date(dt.datetime(2026, 11, 23, 22, 59, tzinfo=dt.UTC)) == D(2026, 11, 23)
    # In summer (CEST, UTC+2) the day turns at 22:00 UTC.
    assert local_date(dt.datetime(2026, 7, 1, 22, 0, tzinfo=dt.UTC)) == D(2026, 7, 2)
    assert local_date(dt.datetime(2026, 7, 1, 21, 59, tzinfo=dt.UTC)) == D(2026, 7, 1)


def test_local_date_needs_an_aware_datetime():
    with pytest.raises(ValueError, match="aware"):
        local_date(dt.datetime(2026, 1, 1, 12, 0))  # noqa: DTZ001


def test_end_of_local_day_is_the_last_instant_in_portal_time():
    end = end_of_local_day(D(2026, 11, 24))
    assert end.astimezone(dt.UTC) == dt.datetime(2026, 11, 24, 22, 59, 59, 999999, tzinfo=dt.UTC)


def test_other_country_and_time_zone(settings):
    settings.PORTAL_HOLIDAY_COUNTRY = "DE"
    # 3 October (German Unity Day) 2025 is a Friday.
    assert add_business_days(D(2025, 10, 2), 1) == D(2025, 10, 6)
    settings.PORTAL_TIME_ZONE = "America/New_York"
    assert local_date(dt.datetime(2026, 11, 24, 3, 0, tzinfo=dt.UTC)) == D(2026, 11, 23)
