"""The notice and objection windows of a sub-processor change, in the portal's time zone.

- `add` and `replace` need at least NOTICE_BUSINESS_DAYS business days between the local date of the
  announcement and the effective date; `remove` and `modify` may take effect at once.
- The objection window runs from the announcement until the start (00:00 local) of the effective date.
"""

import datetime as dt

from portal.calendar import add_business_days, local_date, start_of_local_day

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
