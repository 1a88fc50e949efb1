import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import dateutil.easter
import holidays
import pytest

from portal.deadlines.calendar import (
    PUBLIC_HOLIDAY,
    SINGLE_DATE,
    TERMIJNENWET,
    YEARLY_RULE,
    add_business_days,
    business_days_between,
    calendar_days,
    end_of_local_day,
    is_business_day,
    local_date,
)
from portal.deadlines.models import CalendarOverride
from subprocessors.changes.windows import NOTICE_BUSINESS_DAYS, earliest_effective_date

ROOT = Path(__file__).resolve().parents[2]

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


# --- Yearly rules, the Algemene termijnenwet setting, and which layer decides ---

CLOSED, OPEN = CalendarOverride.Kind.CLOSED, CalendarOverride.Kind.OPEN


def _yearly(month: int, day: int, kind: str, note: str = "") -> CalendarOverride:
    return CalendarOverride.objects.create(recurrence="yearly", month=month, day=day, kind=kind, note=note)


@pytest.fixture
def termijnenwet(settings):
    settings.PORTAL_CALENDAR_ALGEMENE_TERMIJNENWET = True


def test_package_lists_liberation_day_only_every_fifth_year():
    # 5 May 2026 is a Tuesday: a business day by the package's list; 2025 (Monday) is a listed holiday.
    assert is_business_day(D(2026, 5, 5))
    assert is_business_day(D(2027, 5, 5))
    assert not is_business_day(D(2025, 5, 5))
    # Good Friday is listed every year.
    assert not is_business_day(D(2026, 4, 3))


def test_yearly_closed_rule_closes_5_may_in_every_year():
    _yearly(5, 5, CLOSED, "Bevrijdingsdag")
    for year in (2026, 2027, 2031, 2032):  # Tuesday, Wednesday, Monday, Wednesday
        assert not is_business_day(D(year, 5, 5)), year
    assert is_business_day(D(2026, 5, 4))
    assert is_business_day(D(2026, 5, 6))


def test_yearly_open_rule_reopens_a_listed_holiday_every_year():
    # Second Day of Christmas: Friday in 2025, Wednesday in 2029.
    _yearly(12, 26, OPEN, "Office works on Boxing Day")
    assert is_business_day(D(2025, 12, 26))
    assert is_business_day(D(2029, 12, 26))
    assert not is_business_day(D(2029, 12, 25))
    # ... but never turns a weekend into a business day (26 Dec 2026 is a Saturday).
    assert not is_business_day(D(2026, 12, 26))


def test_single_date_override_beats_the_yearly_rule_for_that_date():
    # given 5 May closed every year, but opened for 2026 only
    _yearly(5, 5, CLOSED)
    CalendarOverride.objects.create(date=D(2026, 5, 5), kind=OPEN, note="Worked this year")
    # then
    assert is_business_day(D(2026, 5, 5))
    assert not is_business_day(D(2027, 5, 5))
    # and the other way round: Boxing Day open every year, closed in 2029
    _yearly(12, 26, OPEN)
    CalendarOverride.objects.create(date=D(2029, 12, 26), kind=CLOSED)
    assert not is_business_day(D(2029, 12, 26))
    assert is_business_day(D(2025, 12, 26))


def test_yearly_rule_on_29_february_applies_in_leap_years_only():
    _yearly(2, 29, CLOSED, "Leap day")
    assert not is_business_day(D(2028, 2, 29))  # Tuesday
    # Not moved to 28 February or 1 March in other years.
    assert is_business_day(D(2027, 3, 1))  # Monday
    assert is_business_day(D(2029, 2, 28))  # Wednesday
    assert is_business_day(D(2029, 3, 1))  # Thursday
    assert add_business_days(D(2028, 2, 28), 1) == D(2028, 3, 1)
    assert add_business_days(D(2029, 2, 27), 2) == D(2029, 3, 1)


def test_termijnenwet_closes_5_may_every_year_and_opens_good_friday(termijnenwet):
    assert not is_business_day(D(2026, 5, 5))
    assert not is_business_day(D(2027, 5, 5))
    assert not is_business_day(D(2025, 5, 5))  # listed by the package as well
    assert is_business_day(D(2026, 4, 3))  # Good Friday
    assert is_business_day(D(2027, 3, 26))  # Good Friday
    assert not is_business_day(D(2026, 4, 6))  # Easter Monday stays closed


def _termijnenwet_days(year: int) -> set[dt.date]:
    """Algemene termijnenwet art. 3, on weekdays: the test's own reading of the law, not the portal's code."""
    easter = dateutil.easter.easter(year)
    kings_day = D(year, 4, 27) if D(year, 4, 27).weekday() != 6 else D(year, 4, 26)
    days = {
        D(year, 1, 1),
        easter + dt.timedelta(days=1),  # Easter Monday
        kings_day,
        D(year, 5, 5),
        easter + dt.timedelta(days=39),  # Ascension Day
        easter + dt.timedelta(days=50),  # Whit Monday
        D(year, 12, 25),
        D(year, 12, 26),
    }
    return {day for day in days if day.weekday() < 5}


def _closed_weekdays(year: int) -> set[dt.date]:
    day, closed = D(year, 1, 1), set()
    while day.year == year:
        if day.weekday() < 5 and not is_business_day(day):
            closed.add(day)
        day += dt.timedelta(days=1)
    return closed


@pytest.mark.parametrize("year", [2024, 2025, 2026, 2027, 2030, 2033, 2035, 2040, 2045])
def test_termijnenwet_setting_gives_exactly_the_days_of_the_law(termijnenwet, year):
    assert _closed_weekdays(year) == _termijnenwet_days(year)


def test_package_agrees_that_5_may_is_a_yearly_dutch_holiday():
    # The setting's 5 May is the day the package files as optional outside lustrum years.
    for year in (2026, 2027, 2031):
        assert D(year, 5, 5) in holidays.country_holidays("NL", years=year, categories=("optional",))


@pytest.mark.parametrize(
    ("setting", "start", "expected"),
    [
        # Notice on Thursday 2 April 2026 across Easter. Off: Good Friday 3 and Easter Monday 6 April closed,
        # 7–10, 13–17, 20 April → Monday 20 April. On: 3, 7–10, 13–17 April → Friday 17 April.
        (False, D(2026, 4, 2), D(2026, 4, 20)),
        (True, D(2026, 4, 2), D(2026, 4, 17)),
        # Notice on King's Day, Monday 27 April 2026, across 5 May (a Tuesday). Off: 28–30 Apr, 1, 4, 5–8,
        # 11 May → Monday 11 May. On: 5 May closed → Tuesday 12 May.
        (False, D(2026, 4, 27), D(2026, 5, 11)),
        (True, D(2026, 4, 27), D(2026, 5, 12)),
    ],
)
def test_ten_business_days_notice_across_good_friday_and_5_may(settings, setting, start, expected):
    settings.PORTAL_CALENDAR_ALGEMENE_TERMIJNENWET = setting
    assert add_business_days(start, NOTICE_BUSINESS_DAYS) == expected
    assert business_days_between(start, expected) == NOTICE_BUSINESS_DAYS
    announced = dt.datetime.combine(start, dt.time(10, 0), tzinfo=ZoneInfo("Europe/Amsterdam"))
    assert earliest_effective_date("add", announced) == expected


@pytest.mark.parametrize(("setting", "twentieth"), [(False, D(2026, 5, 5)), (True, D(2026, 5, 4))])
def test_across_both_the_setting_gains_a_day_at_easter_and_loses_one_on_5_may(settings, setting, twentieth):
    settings.PORTAL_CALENDAR_ALGEMENE_TERMIJNENWET = setting
    # From Thursday 2 April 2026: with the setting Good Friday counts, so the 20th business day comes a day
    # sooner (Monday 4 May instead of Tuesday 5 May); 5 May is then closed, so from the 21st on they agree.
    assert add_business_days(D(2026, 4, 2), 20) == twentieth
    assert add_business_days(D(2026, 4, 2), 21) == D(2026, 5, 6)


def test_overrides_beat_the_termijnenwet_setting(termijnenwet):
    # a yearly rule re-opens 5 May; a single date closes Good Friday 2026
    _yearly(5, 5, OPEN)
    CalendarOverride.objects.create(date=D(2026, 4, 3), kind=CLOSED, note="Closed after all")
    assert is_business_day(D(2026, 5, 5))
    assert not is_business_day(D(2026, 4, 3))
    assert is_business_day(D(2027, 3, 26))  # Good Friday 2027: the setting still applies


def test_one_query_per_call_with_yearly_rules(django_assert_num_queries):
    _yearly(5, 5, CLOSED)
    _yearly(12, 31, CLOSED)
    CalendarOverride.objects.create(date=D(2026, 6, 10), kind=CLOSED)
    with django_assert_num_queries(1):
        assert add_business_days(D(2026, 4, 27), 10) == D(2026, 5, 12)
    with django_assert_num_queries(1):
        # 260 weekdays after 1 January, minus 6 listed holidays, 5 May, 10 June and 31 December
        assert business_days_between(D(2026, 1, 1), D(2026, 12, 31)) == 251
    with django_assert_num_queries(1):
        assert not is_business_day(D(2026, 5, 5))


def test_a_closure_longer_than_the_lookup_window_is_still_honoured(django_assert_max_num_queries):
    # given the office closed for all of July and August 2026 (single dates)
    day = D(2026, 7, 1)
    while day <= D(2026, 8, 31):
        CalendarOverride.objects.create(date=day, kind=CLOSED, note="Summer closure")
        day += dt.timedelta(days=1)
    # then one business day after 30 June is 1 September, however far the first lookup reached
    with django_assert_max_num_queries(4):
        assert add_business_days(D(2026, 6, 30), 1) == D(2026, 9, 1)
    assert business_days_between(D(2026, 6, 30), D(2026, 9, 1)) == 1


def test_calendar_days_explains_each_closed_or_reopened_weekday(termijnenwet):
    # given
    _yearly(12, 31, CLOSED, "Year-end closing")
    _yearly(4, 6, OPEN)  # Easter Monday 2026 falls on 6 April
    CalendarOverride.objects.create(date=D(2026, 5, 14), kind=OPEN, note="Ascension worked")
    CalendarOverride.objects.create(date=D(2026, 6, 10), kind=CLOSED)
    CalendarOverride.objects.create(date=D(2026, 6, 11), kind=OPEN)  # an ordinary Thursday: changes nothing
    # when
    days = calendar_days(D(2026, 3, 30), D(2026, 6, 30))
    # then
    assert [(d.date, d.business_day, d.reason, d.source) for d in days] == [
        (D(2026, 4, 3), True, "Good Friday", TERMIJNENWET),
        (D(2026, 4, 6), True, "Easter Monday", YEARLY_RULE),
        (D(2026, 4, 27), False, "King's Day", PUBLIC_HOLIDAY),
        (D(2026, 5, 5), False, "Liberation Day", TERMIJNENWET),
        (D(2026, 5, 14), True, "Ascension worked", SINGLE_DATE),
        (D(2026, 5, 25), False, "Pentecost Monday", PUBLIC_HOLIDAY),
        (D(2026, 6, 10), False, "", SINGLE_DATE),
    ]
    assert [(d.date, d.reason, d.source) for d in calendar_days(D(2026, 12, 30), D(2026, 12, 31))] == [
        (D(2026, 12, 31), "Year-end closing", YEARLY_RULE)
    ]


def test_setting_refused_outside_the_netherlands():
    env = {**os.environ, "PORTAL_CALENDAR_ALGEMENE_TERMIJNENWET": "1", "PORTAL_HOLIDAY_COUNTRY": "DE"}
    result = subprocess.run(
        [sys.executable, "-c", "import portal.settings"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "PORTAL_HOLIDAY_COUNTRY=NL" in result.stderr
