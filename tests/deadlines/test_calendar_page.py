"""Staff → Business calendar: yearly rules, form errors, the next 12 months, permissions and the audit trail."""

import datetime as dt
import html
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.deadlines.models import CalendarOverride
from portal.deadlines.models.calendar import (
    DATE_NOT_FOR_YEARLY,
    DATE_REQUIRED,
    DAY_REQUIRED,
    MONTH_DAY_NOT_FOR_ONCE,
    MONTH_REQUIRED,
    YEARLY_DUPLICATE,
    no_such_day_message,
)
from tests.auth import login

pytestmark = pytest.mark.django_db

D = dt.date
URL = reverse("deadlines:staff_calendar")
AMS = ZoneInfo("Europe/Amsterdam")
LIBERATION_DAY = {"recurrence": "yearly", "month": "5", "day": "5", "kind": "closed", "note": "Bevrijdingsdag"}


@pytest.fixture
def staff(client, legal):
    login(client, legal)
    return client


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _rows(body: str, section: str) -> list[list[str]]:
    """The cells of the table under the heading with id `section`."""
    start = body.index(f'id="{section}"')
    table = body[start : body.index("</table>", start)]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", table[table.index("<tbody") :])
    ]


# --- who may use it ---


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_is_sent_to_login(client, method):
    response = getattr(client, method)(URL, LIBERATION_DAY if method == "post" else None)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not CalendarOverride.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_customer_is_refused(client, org_admin, method):
    login(client, org_admin)
    response = getattr(client, method)(URL, LIBERATION_DAY if method == "post" else None)
    assert response.status_code == 403
    assert not CalendarOverride.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_legal_without_mfa_is_sent_to_mfa_setup(client, legal_no_mfa, method):
    login(client, legal_no_mfa)
    response = getattr(client, method)(URL, LIBERATION_DAY if method == "post" else None)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    assert not CalendarOverride.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="calendar.").exists()


def test_customer_cannot_remove_a_rule(client, org_admin):
    rule = CalendarOverride.objects.create(recurrence="yearly", month=5, day=5, kind="closed")
    login(client, org_admin)
    assert client.post(URL, {"delete": rule.pk}).status_code == 403
    assert CalendarOverride.objects.filter(pk=rule.pk).exists()


# --- adding and removing, with the audit trail ---


def test_yearly_rule_added_audited_and_listed(staff):
    # when
    response = staff.post(URL, LIBERATION_DAY)
    # then
    assert response.status_code == 302
    rule = CalendarOverride.objects.get()
    assert (rule.recurrence, rule.date, rule.month, rule.day, rule.kind) == ("yearly", None, 5, 5, "closed")
    event = AuditEvent.objects.get(action="calendar.override_added")
    assert event.details == {
        "after": {"recurrence": "yearly", "month": 5, "day": 5, "kind": "closed", "note": "Bevrijdingsdag"}
    }
    assert event.actor_label == "counsel@processor.example"
    assert event.target_id == str(rule.pk)
    assert AuditEvent.objects.filter(action__startswith="calendar.").count() == 1
    page = _text(staff.get(URL))
    assert "5 May, every year: Closed (not a business day) saved." in page
    assert _rows(page, "yearly-rules")[0][:3] == ["5 May, every year", "Closed (not a business day)", "Bevrijdingsdag"]


def test_single_date_override_audit_names_the_date(staff):
    assert staff.post(URL, {"recurrence": "once", "date": "2026-12-28", "kind": "closed"}).status_code == 302
    event = AuditEvent.objects.get(action="calendar.override_added")
    assert event.details == {"after": {"recurrence": "once", "date": "2026-12-28", "kind": "closed", "note": ""}}


def test_yearly_rule_removed_and_audited(staff):
    # given
    staff.post(URL, LIBERATION_DAY)
    rule = CalendarOverride.objects.get()
    # when
    response = staff.post(URL, {"delete": rule.pk})
    # then
    assert response.status_code == 302
    assert not CalendarOverride.objects.exists()
    event = AuditEvent.objects.get(action="calendar.override_removed")
    assert event.details == {
        "before": {"recurrence": "yearly", "month": 5, "day": 5, "kind": "closed", "note": "Bevrijdingsdag"}
    }
    assert "Override for 5 May, every year removed." in _text(staff.get(URL))


@pytest.mark.parametrize("value", ["999", "abc", ""])
def test_removing_an_unknown_rule_is_a_404(staff, value):
    assert staff.post(URL, {"delete": value}).status_code == 404
    assert not AuditEvent.objects.filter(action__startswith="calendar.").exists()


def test_29_february_is_accepted_as_a_yearly_rule(staff):
    response = staff.post(URL, {"recurrence": "yearly", "month": "2", "day": "29", "kind": "closed"})
    assert response.status_code == 302
    assert CalendarOverride.objects.get().when == "29 February, every year"


# --- form errors ---


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"recurrence": "yearly", "month": "4", "day": "31"}, "day", no_such_day_message(4)),
        ({"recurrence": "yearly", "month": "2", "day": "30"}, "day", no_such_day_message(2)),
        ({"recurrence": "yearly", "month": "6", "day": "31"}, "day", "June has only 30 days."),
        ({"recurrence": "yearly", "month": "5", "day": "0"}, "day", "Ensure this value is greater than or equal to 1."),
        ({"recurrence": "yearly", "month": "13", "day": "5"}, "month", "Select a valid choice."),
        ({"recurrence": "yearly", "day": "5"}, "month", MONTH_REQUIRED),
        ({"recurrence": "yearly", "month": "5"}, "day", DAY_REQUIRED),
        ({"recurrence": "yearly", "month": "5", "day": "5", "date": "2026-05-05"}, "date", DATE_NOT_FOR_YEARLY),
        ({"recurrence": "once"}, "date", DATE_REQUIRED),
        ({"recurrence": "once", "date": "2026-05-05", "month": "5", "day": "5"}, "month", MONTH_DAY_NOT_FOR_ONCE),
        ({"recurrence": "once", "date": "2026-04-31"}, "date", "Enter a valid date."),
        ({"recurrence": "weekly", "date": "2026-05-05"}, "recurrence", "Select a valid choice."),
    ],
)
def test_form_errors_are_shown_on_the_field(staff, data, field, message):
    response = staff.post(URL, {"kind": "closed", **data})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert any(message in error for error in errors[field]), errors
    assert message in _text(response)
    assert not CalendarOverride.objects.exists()
    assert not AuditEvent.objects.exists()


def test_no_such_day_message_reads_well():
    assert no_such_day_message(4) == "April has only 30 days."
    assert no_such_day_message(2) == "February has only 29 days."


def test_duplicate_yearly_rule_is_refused(staff):
    # given
    staff.post(URL, LIBERATION_DAY)
    # when the same day is added again, even with the other kind
    response = staff.post(URL, {**LIBERATION_DAY, "kind": "open"})
    # then
    assert response.status_code == 400
    assert YEARLY_DUPLICATE in _text(response)
    assert CalendarOverride.objects.count() == 1
    assert AuditEvent.objects.filter(action="calendar.override_added").count() == 1


def test_a_yearly_rule_and_a_single_date_on_the_same_day_may_coexist(staff):
    assert staff.post(URL, LIBERATION_DAY).status_code == 302
    once = {"recurrence": "once", "date": "2026-05-05", "kind": "open", "note": "Worked this year"}
    assert staff.post(URL, once).status_code == 302
    assert CalendarOverride.objects.count() == 2


def test_form_labels_every_input_and_groups_the_choice(staff):
    body = staff.get(URL).content.decode()
    form = body[body.index("<h2>Add an override</h2>") :]
    assert re.search(r"<fieldset[^>]*>\s*<legend>Repeats", form)
    for name in ("date", "month", "day", "kind", "note"):
        assert f'<label for="id_{name}">' in form, name
    assert '<label for="id_recurrence_0">' in form
    assert '<label for="id_recurrence_1">' in form
    assert "This date only" in form
    assert "Every year" in form


# --- the next 12 months ---


def _page_on(client, moment: dt.datetime) -> str:
    with time_machine.travel(moment, tick=False):
        return _text(client.get(URL))


def test_page_lists_the_closed_weekdays_of_the_next_12_months(staff):
    # given a yearly rule, a single date, and a re-opened holiday
    CalendarOverride.objects.create(recurrence="yearly", month=5, day=5, kind="closed", note="Bevrijdingsdag")
    CalendarOverride.objects.create(date=D(2026, 12, 28), kind="closed", note="Office closed")
    CalendarOverride.objects.create(date=D(2026, 5, 25), kind="open")
    # when the page is opened on Sunday 1 March 2026
    page = _page_on(staff, dt.datetime(2026, 3, 1, 9, 0, tzinfo=AMS))
    # then every closed weekday from today until 28 February 2027, with its reason
    assert "Closed weekdays until 28 February 2027" in page
    assert _rows(page, "closed-days") == [
        ["Fri 3 Apr 2026", "Good Friday", "Public holiday"],
        ["Mon 6 Apr 2026", "Easter Monday", "Public holiday"],
        ["Mon 27 Apr 2026", "King's Day", "Public holiday"],
        ["Tue 5 May 2026", "Bevrijdingsdag", "Yearly rule"],
        ["Thu 14 May 2026", "Ascension Day", "Public holiday"],
        ["Fri 25 Dec 2026", "Christmas Day", "Public holiday"],
        ["Mon 28 Dec 2026", "Office closed", "Single-date override"],
        ["Fri 1 Jan 2027", "New Year's Day", "Public holiday"],
    ]
    assert _rows(page, "reopened-days") == [["Mon 25 May 2026", "Pentecost Monday", "Single-date override"]]
    assert "Algemene termijnenwet" not in page


def test_page_with_the_termijnenwet_setting(staff, settings):
    settings.PORTAL_CALENDAR_ALGEMENE_TERMIJNENWET = True
    page = _page_on(staff, dt.datetime(2026, 3, 26, 23, 30, tzinfo=dt.UTC))  # 00:30 on Friday 27 March locally
    assert "From today (Friday 27 March 2026)" in page
    assert "following the Algemene termijnenwet" in page
    closed = _rows(page, "closed-days")
    assert ["Tue 5 May 2026", "Liberation Day", "Algemene termijnenwet"] in closed
    assert ["Fri 3 Apr 2026", "Good Friday", "Public holiday"] not in closed
    # Good Friday 2027 (26 March) is the last day in range and open, like 2026's
    assert closed[-1] == ["Fri 1 Jan 2027", "New Year's Day", "Public holiday"]
    assert _rows(page, "reopened-days") == [
        ["Fri 3 Apr 2026", "Good Friday", "Algemene termijnenwet"],
        ["Fri 26 Mar 2027", "Good Friday", "Algemene termijnenwet"],
    ]
    # and the examples count Good Friday: 5 business days from Friday 27 March is Friday 3 April
    assert "5 business days: <strong>Friday 3 April 2026</strong>" in page


def test_page_today_is_a_listed_holiday(staff):
    page = _page_on(staff, dt.datetime(2025, 12, 25, 12, 0, tzinfo=AMS))
    closed = _rows(page, "closed-days")
    assert closed[:2] == [
        ["Thu 25 Dec 2025", "Christmas Day", "Public holiday"],
        ["Fri 26 Dec 2025", "Second Day of Christmas", "Public holiday"],
    ]
    assert closed[-1] == ["Mon 25 May 2026", "Pentecost Monday", "Public holiday"]  # 25 Dec 2026 is a day too far
    assert "Closed weekdays until 24 December 2026" in page


def test_page_query_count_does_not_grow_with_yearly_rules(staff, django_assert_max_num_queries):
    CalendarOverride.objects.create(recurrence="yearly", month=1, day=2, kind="closed", note="Rule 0")
    CalendarOverride.objects.create(date=D(2027, 1, 4), kind="closed", note="Date 0")
    staff.get(URL)  # warm per-process caches
    with CaptureQueriesContext(connection) as one_rule:
        assert staff.get(URL).status_code == 200
    for i in range(1, 25):
        CalendarOverride.objects.create(recurrence="yearly", month=1 + i % 12, day=3 + i, kind="closed")
        CalendarOverride.objects.create(date=D(2027, 1, 4) + dt.timedelta(days=i), kind="closed", note=f"Date {i}")
    with django_assert_max_num_queries(len(one_rule)):
        body = _text(staff.get(URL))
    assert len(_rows(body, "yearly-rules")) == 25
