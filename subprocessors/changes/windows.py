"""The notice and objection windows of a sub-processor change, in the portal's time zone.

- `add` and `replace` need at least NOTICE_BUSINESS_DAYS business days between the local date of the
  announcement and the effective date; `remove` and `modify` may take effect at once.
- A change that adds or replaces a sub-processor takes effect only when every enterprise customer had a notice
  *delivered* (the SMTP server accepted it) on a local date at least NOTICE_BUSINESS_DAYS business days before
  the effective date: `notice_on_time`, or as an instant, before `notice_deadline`.
- The objection window runs from the announcement until the start (00:00 local) of the effective date; when a
  change is postponed it runs to the new date.
"""

import datetime as dt

from portal.deadlines.calendar import add_business_days, business_days_between, local_date, start_of_local_day

NOTICE_BUSINESS_DAYS = 10
REMINDER_BUSINESS_DAYS = 2
KINDS_NEEDING_NOTICE = ("add", "replace")


def earliest_effective_date(kind: str, announced_at: dt.datetime) -> dt.date:
    day = local_date(announced_at)
    if kind in KINDS_NEEDING_NOTICE:
        return add_business_days(day, NOTICE_BUSINESS_DAYS)
    return day


def objection_deadline(effective_date: dt.date) -> dt.datetime:
    """The first instant at which objections are refused: 00:00 local time on the effective date."""
    return start_of_local_day(effective_date)


def objection_window_open(effective_date: dt.date, now: dt.datetime) -> bool:
    return now < objection_deadline(effective_date)


def notice_on_time(delivered_at: dt.datetime, effective_date: dt.date) -> bool:
    """The announcement rule applied to a delivery: its local date, plus 10 business days, is on or before the
    effective date."""
    return business_days_between(local_date(delivered_at), effective_date) >= NOTICE_BUSINESS_DAYS


def notice_deadline(effective_date: dt.date) -> dt.datetime:
    """The first instant at which a delivered notice is too late for `effective_date`.

    `notice_on_time(t, effective_date)` is `t < notice_deadline(effective_date)`: the last local day on which a
    delivery counts is the latest day with 10 business days after it up to the effective date (a weekend after a
    Friday counts like the Friday)."""
    day = effective_date - dt.timedelta(days=NOTICE_BUSINESS_DAYS)  # 10 calendar days never hold 10 business days
    while business_days_between(day, effective_date) < NOTICE_BUSINESS_DAYS:
        day -= dt.timedelta(days=1)
    return start_of_local_day(day + dt.timedelta(days=1))
