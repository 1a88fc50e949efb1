"""Business-day calendar: Monday to Friday minus the public holidays of PORTAL_HOLIDAY_COUNTRY
(from the `holidays` package), corrected by the operator's CalendarOverride rows, in PORTAL_TIME_ZONE.

Whether a day is a business day is decided by the first of these that speaks about it:
1. Saturday and Sunday never are (an "open" override does not change that).
2. A single-date override for that date (closed or open).
3. A yearly override for that month and day (29 February exists, and so applies, in leap years only).
4. The holiday list: the package's public holidays; with PORTAL_CALENDAR_ALGEMENE_TERMIJNENWET on (NL only),
   5 May is closed every year and Good Friday is a business day, as in the Dutch Algemene termijnenwet.

Every deadline in the portal is computed with these functions; each call loads the overrides it needs with
one query.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays
from dateutil.easter import easter
from django.conf import settings
from django.db.models import Q

from portal.deadlines.models import CalendarOverride

# Why a day is closed (or a listed holiday open), as the business-calendar page explains it.
PUBLIC_HOLIDAY = "public holiday"
SINGLE_DATE = "single-date override"
YEARLY_RULE = "yearly rule"
TERMIJNENWET = "Algemene termijnenwet"

_CLOSED, _OPEN = "closed", "open"  # CalendarOverride.Kind, without importing models at import time


def portal_tz() -> ZoneInfo:
    return ZoneInfo(settings.PORTAL_TIME_ZONE)


def local_date(moment: dt.datetime) -> dt.date:
    """The portal-local calendar date of an aware datetime (23:30 UTC can be tomorrow in Amsterdam)."""
    if moment.tzinfo is None:
        raise ValueError("local_date() needs an aware datetime")
    return moment.astimezone(portal_tz()).date()


def start_of_local_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=portal_tz())


def end_of_local_day(day: dt.date) -> dt.datetime:
    """The last instant of a local day; a deadline "by end of day" is met up to and including it."""
    return dt.datetime.combine(day, dt.time.max, tzinfo=portal_tz())


@dataclass(frozen=True)
class CalendarDay:
    """A weekday that the holiday list or an override treats differently from an ordinary weekday."""

    date: dt.date
    business_day: bool
    reason: str  # the holiday's name or the override's note; may be empty
    source: str  # PUBLIC_HOLIDAY, SINGLE_DATE, YEARLY_RULE or TERMIJNENWET


@dataclass(frozen=True)
class _HolidayYear:
    closed: Mapping[dt.date, tuple[str, str]]  # date -> (name, source)
    reopened: Mapping[dt.date, tuple[str, str]]  # listed holidays that are business days by the setting


@lru_cache(maxsize=128)
def _holiday_year(country: str, year: int, termijnenwet: bool) -> _HolidayYear:
    listed = holidays.country_holidays(country, years=year, language="en_US")
    closed = {day: (name, PUBLIC_HOLIDAY) for day, name in listed.items()}
    reopened = {}
    if termijnenwet:
        # Algemene termijnenwet art. 3: Good Friday is not a general holiday, 5 May is one every year (the
        # package lists it as public only every fifth year).
        good_friday = easter(year) - dt.timedelta(days=2)
        if good_friday in closed:
            reopened[good_friday] = (closed.pop(good_friday)[0], TERMIJNENWET)
        closed.setdefault(dt.date(year, 5, 5), ("Liberation Day", TERMIJNENWET))
    return _HolidayYear(MappingProxyType(closed), MappingProxyType(reopened))


@dataclass(frozen=True)
class _Overrides:
    last: dt.date  # single-date overrides are loaded up to here
    dates: dict[dt.date, tuple[str, str]]  # date -> (kind, note)
    yearly: dict[tuple[int, int], tuple[str, str]]  # (month, day) -> (kind, note)
    country: str
    termijnenwet: bool

    def holiday_year(self, year: int) -> _HolidayYear:
        return _holiday_year(self.country, year, self.termijnenwet)


def _overrides(first: dt.date, last: dt.date) -> _Overrides:
    """The single-date overrides in [first, last] and every yearly rule, in one query."""

    rows = CalendarOverride.objects.filter(
        Q(date__range=(first, last)) | Q(recurrence=CalendarOverride.Recurrence.YEARLY)
    ).values_list("date", "month", "day", "kind", "note")
    dates, yearly = {}, {}
    for date, month, day, kind, note in rows:
        if date is not None:
            dates[date] = (kind, note)
        elif month and day:  # a yearly rule (the model's constraint: a date, or a month and a day)
            yearly[(month, day)] = (kind, note)
    return _Overrides(
        last=last,
        dates=dates,
        yearly=yearly,
        country=settings.PORTAL_HOLIDAY_COUNTRY,
        termijnenwet=settings.PORTAL_CALENDAR_ALGEMENE_TERMIJNENWET,
    )


def _is_business_day(day: dt.date, overrides: _Overrides) -> bool:
    if day.weekday() >= 5:
        return False
    override = overrides.dates.get(day) or overrides.yearly.get((day.month, day.day))
    if override is not None:
        return override[0] == _OPEN
    return day not in overrides.holiday_year(day.year).closed


def _explain(day: dt.date, overrides: _Overrides) -> CalendarDay | None:
    """Why `day` is not an ordinary weekday, or None when it is one (or a weekend day).

    Layers from the bottom up, each later one deciding: the holiday list, a yearly rule, a single-date override.
    An "open" override of a day nothing below closes changes nothing and is not reported.
    """
    if day.weekday() >= 5:
        return None
    year = overrides.holiday_year(day.year)
    state = None  # (business_day, reason, source)
    if day in year.closed:
        state = (False, *year.closed[day])
    elif day in year.reopened:
        state = (True, *year.reopened[day])
    layers = ((overrides.yearly.get((day.month, day.day)), YEARLY_RULE), (overrides.dates.get(day), SINGLE_DATE))
    for override, source in layers:
        if override is None:
            continue
        kind, note = override
        if kind == _OPEN and state is None:
            continue
        state = (kind == _OPEN, note or (state[1] if state else ""), source)
    return CalendarDay(day, *state) if state else None


def is_business_day(day: dt.date) -> bool:
    return _is_business_day(day, _overrides(day, day))


def _window(days: int) -> dt.timedelta:
    # Generous for the override lookup: holiday runs rarely exceed two calendar weeks.
    return dt.timedelta(days=days * 2 + 21)


def add_business_days(start: dt.date, days: int) -> dt.date:
    """The date `days` business days after `start`; counting starts on the day after `start`."""
    if days < 0:
        raise ValueError("days must be zero or positive")
    overrides = _overrides(start, start + _window(days))
    day, counted = start, 0
    while counted < days:
        day += dt.timedelta(days=1)
        if day > overrides.last:
            # More closed days than the window allowed for (an office closed for weeks): load the next stretch.
            overrides = _overrides(day, day + _window(days - counted))
        if _is_business_day(day, overrides):
            counted += 1
    return day


def business_days_between(a: dt.date, b: dt.date) -> int:
    """Business days in (a, b]: the number n with add_business_days(a, n) <= b < the next one.

    Negative when b is before a.
    """
    if b < a:
        return -business_days_between(b, a)
    overrides = _overrides(a, b)
    count, day = 0, a
    while day < b:
        day += dt.timedelta(days=1)
        if _is_business_day(day, overrides):
            count += 1
    return count


def calendar_days(first: dt.date, last: dt.date) -> list[CalendarDay]:
    """The weekdays in [first, last] that are closed, or listed holidays that are open, with the reason."""
    overrides = _overrides(first, last)
    found, day = [], first
    while day <= last:
        if (explained := _explain(day, overrides)) is not None:
            found.append(explained)
        day += dt.timedelta(days=1)
    return found
