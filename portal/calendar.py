"""Business-day calendar: Monday to Friday minus the public holidays of PORTAL_HOLIDAY_COUNTRY
(from the `holidays` package), corrected by the operator's CalendarOverride rows, in PORTAL_TIME_ZONE.

Every deadline in the portal is computed with these functions.
"""

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings


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


@lru_cache(maxsize=64)
def _public_holidays(country: str, year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays(country, years=year).keys())


def _overrides(first: dt.date, last: dt.date) -> dict[dt.date, str]:
    from portal.models import CalendarOverride

    return dict(CalendarOverride.objects.filter(date__range=(first, last)).values_list("date", "kind"))


def _is_business_day(day: dt.date, overrides: dict[dt.date, str]) -> bool:
    kind = overrides.get(day)
    if kind == "closed":
        return False
    if day.weekday() >= 5:
        return False
    if kind == "open":
        return True
    return day not in _public_holidays(settings.PORTAL_HOLIDAY_COUNTRY, day.year)


def is_business_day(day: dt.date) -> bool:
    return _is_business_day(day, _overrides(day, day))


def add_business_days(start: dt.date, days: int) -> dt.date:
    """The date `days` business days after `start`; counting starts on the day after `start`."""
    if days < 0:
        raise ValueError("days must be zero or positive")
    # Generous window for the override lookup: long holiday runs never exceed two calendar weeks.
    overrides = _overrides(start, start + dt.timedelta(days=days * 2 + 21))
    day, counted = start, 0
    while counted < days:
        day += dt.timedelta(days=1)
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
