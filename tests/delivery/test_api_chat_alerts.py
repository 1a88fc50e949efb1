"""Staff API of the staff chat alerts: list, filters, one alert, retry (the console's service, event and message)."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from rest_framework.test import APIClient

from portal.audit.models import AuditEvent
from portal.delivery.chat import ONLY_FAILED
from portal.delivery.models import ChatAlert
from tests.auth import staff_token
from tests.staff.api_callers import READ, WRITE, api_caller

pytestmark = pytest.mark.django_db

LIST = reverse("delivery:api_staff_chat_alerts")


def _retry(alert) -> str:
    return reverse("delivery:api_staff_chat_alert_retry", args=[alert.pk])


@pytest.fixture
def api(legal):
    return APIClient(HTTP_AUTHORIZATION=f"Token {staff_token(legal)}")


@pytest.fixture
def alerts(chat_webhook):
    """Sent, failed and queued, created on three days."""
    rows = []
    for day, kind, fields in [
        (1, "access_request", {"status": "sent", "attempts": 1, "last_status_code": 200}),
        (2, "objection", {"status": "failed", "attempts": 6, "last_status_code": 500, "last_error": "HTTP 500"}),
        (3, "breach_deadline", {"status": "queued"}),
    ]:
        with time_machine.travel(dt.datetime(2026, 3, day, 12, tzinfo=dt.UTC), tick=False):
            rows.append(
                ChatAlert.objects.create(
                    idempotency_key=f"alert-{day}",
                    kind=kind,
                    text=f"Alert {day}\nhttps://portal.example/staff/{day}/",
                    url=f"https://portal.example/staff/{day}/",
                    **fields,
                )
            )
    return rows


def test_list_is_newest_first_and_shows_what_the_console_shows(api, alerts):
    response = api.get(LIST)
    assert response.status_code == 200
    body = response.json()
    assert [a["id"] for a in body["results"]] == [alerts[2].pk, alerts[1].pk, alerts[0].pk]
    failed = body["results"][1]
    assert dt.datetime.fromisoformat(failed.pop("created_at")) == alerts[1].created_at
    assert failed == {
        "id": alerts[1].pk,
        "kind": "objection",
        "text": "Alert 2\nhttps://portal.example/staff/2/",
        "url": "https://portal.example/staff/2/",
        "status": "failed",
        "attempts": 6,
        "last_status_code": 500,
        "last_error": "HTTP 500",
        "sent_at": None,
        "console_url": f"{settings.SITE_URL}{reverse('delivery:staff_chat_alerts')}?kind=objection",
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [({"status": "failed"}, [1]), ({"kind": "access_request"}, [0]), ({"status": "", "kind": ""}, [2, 1, 0])],
)
def test_list_filters(api, alerts, query, expected):
    assert [a["id"] for a in api.get(LIST, query).json()["results"]] == [alerts[i].pk for i in expected]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"status": "lost"}, {"status": ['"lost" is not a valid choice.']}),
        ({"kind": "x"}, {"kind": ['"x" is not a valid choice.']}),
    ],
)
def test_bad_filters_are_400_with_the_field_message(api, alerts, query, errors):
    response = api.get(LIST, query)
    assert response.status_code == 400
    assert response.json() == errors


def test_list_queries_do_not_grow_with_rows(api, django_assert_max_num_queries):
    for n in range(40):
        ChatAlert.objects.create(idempotency_key=f"k{n}", kind="objection", text="t", url="https://x.example/")
    with django_assert_max_num_queries(10):
        response = api.get(LIST, {"page_size": 40})
    assert len(response.json()["results"]) == 40


def test_one_alert(api, alerts):
    assert api.get(reverse("delivery:api_staff_chat_alert", args=[alerts[1].pk])).json()["last_error"] == "HTTP 500"
    assert api.get(reverse("delivery:api_staff_chat_alert", args=[999999])).status_code == 404


# --- retry ---


def test_retry_starts_a_fresh_round_and_is_audited_as_in_the_console(
    api, legal, alerts, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = api.post(_retry(alerts[1]))
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["status"], response.json()["attempts"]) == (
        alerts[1].pk,
        "queued",
        0,
    )
    assert len(callbacks) == 1  # the delivery task, after the commit
    alerts[1].refresh_from_db()
    assert alerts[1].status == "queued"
    event = AuditEvent.objects.get(action="chat.retry")
    assert (event.actor_id, event.target_id, event.details) == (legal.pk, str(alerts[1].pk), {"kind": "objection"})


@pytest.mark.parametrize("index", [0, 2])  # sent, queued
def test_retrying_an_alert_that_did_not_fail_is_400_with_the_service_message(api, alerts, index):
    row = alerts[index]
    response = api.post(_retry(row))
    assert response.status_code == 400
    assert response.json() == {"detail": ONLY_FAILED}
    before = (row.status, row.attempts, row.updated_at)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.updated_at) == before
    assert not AuditEvent.objects.filter(action="chat.retry").exists()


def test_retrying_an_unknown_alert_is_404(api):
    assert api.post(reverse("delivery:api_staff_chat_alert_retry", args=[999999])).status_code == 404


def test_retry_with_the_same_idempotency_key_retries_once(api, alerts):
    first = api.post(_retry(alerts[1]), HTTP_IDEMPOTENCY_KEY="retry-chat")
    again = api.post(_retry(alerts[1]), HTTP_IDEMPOTENCY_KEY="retry-chat")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert AuditEvent.objects.filter(action="chat.retry").count() == 1


# --- who may call them ---


@pytest.mark.parametrize("who", list(READ))
def test_who_may_read(who, legal, legal_no_mfa, member, alerts):
    api = api_caller(who, legal=legal, legal_no_mfa=legal_no_mfa, member=member, perm="delivery.view_chatalert")
    for url in (LIST, reverse("delivery:api_staff_chat_alert", args=[alerts[1].pk])):
        response = api.get(url)
        assert response.status_code == (READ[who] or 200)
        if READ[who]:
            assert "Alert 2" not in response.content.decode()


@pytest.mark.parametrize("who", list(WRITE))
def test_who_may_retry(who, legal, legal_no_mfa, member, alerts):
    api = api_caller(who, legal=legal, legal_no_mfa=legal_no_mfa, member=member, perm="delivery.retry_chatalert")
    response = api.post(_retry(alerts[1]))
    assert response.status_code == (WRITE[who] or 200)
    alerts[1].refresh_from_db()
    assert alerts[1].status == ("failed" if WRITE[who] else "queued")
    assert AuditEvent.objects.filter(action="chat.retry").count() == (0 if WRITE[who] else 1)
