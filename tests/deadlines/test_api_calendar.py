"""Staff API of the business-day calendar overrides: list, add, read, remove, as the console's calendar page (the same
service, audit events, messages and permission)."""

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from rest_framework.test import APIClient

from portal.audit.models import AuditEvent
from portal.core.validators import SINGLE_LINE_REFUSED
from portal.deadlines.models import CalendarOverride
from portal.deadlines.models.calendar import (
    DATE_DUPLICATE,
    DATE_REQUIRED,
    DAY_REQUIRED,
    MONTH_DAY_NOT_FOR_ONCE,
    YEARLY_DUPLICATE,
    no_such_day_message,
)
from tests.auth import staff_token
from tests.staff.api_callers import READ, WRITE, api_caller

pytestmark = pytest.mark.django_db

PERM = "deadlines.change_calendaroverride"
LIST = reverse("deadlines:api_staff_calendar_overrides")
LIBERATION_DAY = {"recurrence": "yearly", "month": 5, "day": 5, "kind": "closed", "note": "Bevrijdingsdag"}


def _detail(pk) -> str:
    return reverse("deadlines:api_staff_calendar_override", args=[pk])


@pytest.fixture
def api(legal):
    return APIClient(HTTP_AUTHORIZATION=f"Token {staff_token(legal)}")


@pytest.fixture
def overrides():
    return [
        CalendarOverride.objects.create(recurrence="yearly", month=12, day=24, kind="closed", note="Christmas Eve"),
        CalendarOverride.objects.create(date=dt.date(2027, 5, 7), kind="closed", note="Bridge day"),
        CalendarOverride.objects.create(date=dt.date(2026, 12, 26), kind="open"),
        CalendarOverride.objects.create(recurrence="yearly", month=5, day=5, kind="open"),
    ]


def test_list_single_dates_first_then_yearly_rules(api, overrides):
    response = api.get(LIST)
    assert response.status_code == 200
    body = response.json()
    assert [o["id"] for o in body["results"]] == [overrides[i].pk for i in (2, 1, 3, 0)]
    eve = body["results"][3]
    assert dt.datetime.fromisoformat(eve.pop("created_at")) == overrides[0].created_at
    assert eve == {
        "id": overrides[0].pk,
        "recurrence": "yearly",
        "date": None,
        "month": 12,
        "day": 24,
        "kind": "closed",
        "note": "Christmas Eve",
        "when": "24 December, every year",
        "console_url": f"{settings.SITE_URL}{reverse('deadlines:staff_calendar')}",
    }
    assert body["results"][1]["date"] == "2027-05-07"
    assert body["results"][1]["when"] == "7 May 2027"


@pytest.mark.parametrize(
    ("query", "expected"),
    [({"recurrence": "yearly"}, [3, 0]), ({"kind": "open"}, [2, 3]), ({"recurrence": "once", "kind": "closed"}, [1])],
)
def test_list_filters(api, overrides, query, expected):
    assert [o["id"] for o in api.get(LIST, query).json()["results"]] == [overrides[i].pk for i in expected]


def test_a_bad_filter_is_400_with_the_field_message(api):
    response = api.get(LIST, {"kind": "half"})
    assert response.status_code == 400
    assert response.json() == {"kind": ['"half" is not a valid choice.']}


def test_list_queries_do_not_grow_with_rows(api, django_assert_max_num_queries):
    for n in range(40):
        CalendarOverride.objects.create(date=dt.date(2027, 1, 1) + dt.timedelta(days=n), kind="closed")
    with django_assert_max_num_queries(10):
        response = api.get(LIST, {"page_size": 40})
    assert len(response.json()["results"]) == 40


def test_one_override_and_an_unknown_one(api, overrides):
    assert api.get(_detail(overrides[1].pk)).json()["note"] == "Bridge day"
    assert api.get(_detail(999999)).status_code == 404


# --- add ---


def test_add_a_yearly_rule_is_audited_as_in_the_console(api, legal):
    response = api.post(LIST, LIBERATION_DAY, format="json")
    assert response.status_code == 201
    rule = CalendarOverride.objects.get()
    assert (rule.recurrence, rule.date, rule.month, rule.day, rule.kind) == ("yearly", None, 5, 5, "closed")
    assert response.json()["id"] == rule.pk
    assert response.json()["when"] == "5 May, every year"
    event = AuditEvent.objects.get(action="calendar.override_added")
    assert event.details == {
        "after": {"recurrence": "yearly", "month": 5, "day": 5, "kind": "closed", "note": "Bevrijdingsdag"}
    }
    assert (event.actor_id, event.target_id) == (legal.pk, str(rule.pk))


def test_add_a_single_date_recurrence_defaults_to_once(api):
    response = api.post(LIST, {"date": "2026-12-28", "kind": "closed"}, format="json")
    assert response.status_code == 201
    event = AuditEvent.objects.get(action="calendar.override_added")
    assert event.details == {"after": {"recurrence": "once", "date": "2026-12-28", "kind": "closed", "note": ""}}


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"recurrence": "yearly", "month": 4, "day": 31}, {"day": [no_such_day_message(4)]}),
        ({"recurrence": "yearly", "month": 5}, {"day": [DAY_REQUIRED]}),
        ({"recurrence": "once"}, {"date": [DATE_REQUIRED]}),
        ({"date": "2026-05-05", "month": 5, "day": 5}, {"month": [MONTH_DAY_NOT_FOR_ONCE]}),
        ({"recurrence": "yearly", "month": 13, "day": 5}, {"month": ['"13" is not a valid choice.']}),
        ({"date": "2026-04-31"}, {"date": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
        ({"date": "2026-05-05", "note": "a\tb"}, {"note": [SINGLE_LINE_REFUSED]}),
    ],
)
def test_bad_input_is_400_with_the_field_message_and_changes_nothing(api, data, errors):
    response = api.post(LIST, {"kind": "closed", **data}, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert not CalendarOverride.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (LIBERATION_DAY, {"non_field_errors": [YEARLY_DUPLICATE]}),
        ({"date": "2027-05-07", "kind": "open"}, {"date": [DATE_DUPLICATE]}),
    ],
)
def test_a_second_override_for_the_same_day_is_refused_with_the_console_message(api, data, errors):
    CalendarOverride.objects.create(recurrence="yearly", month=5, day=5, kind="open")
    CalendarOverride.objects.create(date=dt.date(2027, 5, 7), kind="closed")
    response = api.post(LIST, data, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert CalendarOverride.objects.count() == 2
    assert not AuditEvent.objects.exists()


def test_add_with_the_same_idempotency_key_adds_once(api):
    first = api.post(LIST, LIBERATION_DAY, format="json", HTTP_IDEMPOTENCY_KEY="liberation")
    again = api.post(LIST, LIBERATION_DAY, format="json", HTTP_IDEMPOTENCY_KEY="liberation")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert CalendarOverride.objects.count() == 1


# --- remove ---


def test_remove_is_audited_as_in_the_console(api, overrides):
    response = api.delete(_detail(overrides[0].pk))
    assert response.status_code == 204
    assert not CalendarOverride.objects.filter(pk=overrides[0].pk).exists()
    event = AuditEvent.objects.get(action="calendar.override_removed")
    assert event.details == {
        "before": {"recurrence": "yearly", "month": 12, "day": 24, "kind": "closed", "note": "Christmas Eve"}
    }
    assert api.delete(_detail(overrides[0].pk)).status_code == 404
    assert AuditEvent.objects.filter(action="calendar.override_removed").count() == 1


# --- who may call them ---


@pytest.mark.parametrize("who", list(READ))
def test_who_may_read(who, legal, legal_no_mfa, member, overrides):
    api = api_caller(who, legal=legal, legal_no_mfa=legal_no_mfa, member=member, perm=PERM)
    assert api.get(LIST).status_code == (READ[who] or 200)
    response = api.get(_detail(overrides[1].pk))
    assert response.status_code == (READ[who] or 200)
    if READ[who]:
        assert "Bridge day" not in response.content.decode()


@pytest.mark.parametrize("who", list(WRITE))
def test_who_may_add(who, legal, legal_no_mfa, member):
    api = api_caller(who, legal=legal, legal_no_mfa=legal_no_mfa, member=member, perm=PERM)
    response = api.post(LIST, LIBERATION_DAY, format="json")
    assert response.status_code == (WRITE[who] or 201)
    assert CalendarOverride.objects.count() == (0 if WRITE[who] else 1)


@pytest.mark.parametrize("who", list(WRITE))
def test_who_may_remove(who, legal, legal_no_mfa, member, overrides):
    api = api_caller(who, legal=legal, legal_no_mfa=legal_no_mfa, member=member, perm=PERM)
    response = api.delete(_detail(overrides[0].pk))
    assert response.status_code == (WRITE[who] or 204)
    assert CalendarOverride.objects.filter(pk=overrides[0].pk).exists() == bool(WRITE[who])
    assert AuditEvent.objects.filter(action="calendar.override_removed").count() == (0 if WRITE[who] else 1)
