"""Staff API of the email outbox: list, filters, one email, retry (the console's service, event and message)."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from rest_framework.test import APIClient

from portal.audit.models import AuditEvent
from portal.delivery.models import OutboundEmail
from portal.delivery.outbox import OUTBOX_RETRY_NOT_FAILED
from tests.auth import login, staff_token
from tests.staff.api_callers import READ, WRITE, api_caller

pytestmark = pytest.mark.django_db

LIST = reverse("delivery:api_staff_outbox")


def _email(n: int, **fields) -> OutboundEmail:
    defaults = {
        "idempotency_key": f"k{n}",
        "to_email": f"person{n}@acme.example",
        "subject": f"Subject {n}",
        "body_text": f"secret body {n}",
        "headers": {"X-Secret": "header"},
        "template": "changes_announced",
    }
    return OutboundEmail.objects.create(**{**defaults, **fields})


@pytest.fixture
def api(legal):
    return APIClient(HTTP_AUTHORIZATION=f"Token {staff_token(legal)}")


@pytest.fixture
def emails():
    """Queued, sent and failed, created on three days."""
    rows = []
    for day, fields in [
        (1, {"status": "sent", "attempts": 1, "sent_at": dt.datetime(2026, 3, 1, 12, 1, tzinfo=dt.UTC)}),
        (2, {"status": "failed", "attempts": 6, "last_error": "550 mailbox unavailable", "template": "access_denied"}),
        (3, {"status": "queued"}),
    ]:
        with time_machine.travel(dt.datetime(2026, 3, day, 12, tzinfo=dt.UTC), tick=False):
            rows.append(_email(day, **fields))
    return rows


def test_list_is_newest_first_and_shows_what_the_console_shows(api, emails):
    response = api.get(LIST)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [e["id"] for e in body["results"]] == [emails[2].pk, emails[1].pk, emails[0].pk]
    failed = body["results"][1]
    assert dt.datetime.fromisoformat(failed.pop("created_at")) == emails[1].created_at
    assert failed == {
        "id": emails[1].pk,
        "to": "person2@acme.example",
        "subject": "Subject 2",
        "template": "access_denied",
        "status": "failed",
        "attempts": 6,
        "last_error": "550 mailbox unavailable",
        "sent_at": None,
        "console_url": f"{settings.SITE_URL}{reverse('delivery:staff_outbox')}?to=person2%40acme.example",
    }
    # never the body or the headers: the console does not show them either
    assert "secret" not in response.content.decode()
    assert dt.datetime.fromisoformat(body["results"][2]["sent_at"]) == emails[0].sent_at


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "failed"}, [1]),
        ({"status": "sent"}, [0]),
        ({"to": "PERSON3@"}, [2]),
        ({"template": "access"}, [1]),
        ({"since": "2026-03-02"}, [2, 1]),
        ({"until": "2026-03-01"}, [0]),
        ({"status": "", "to": ""}, [2, 1, 0]),
    ],
)
def test_list_filters(api, emails, query, expected):
    assert [e["id"] for e in api.get(LIST, query).json()["results"]] == [emails[i].pk for i in expected]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"status": "bounced"}, {"status": ['"bounced" is not a valid choice.']}),
        ({"since": "03/02/2026"}, {"since": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
        ({"since": "2026-03-02", "until": "2026-03-01"}, {"until": ["The end date is before the start date."]}),
        ({"page": "0"}, {"page": ["Ensure this value is greater than or equal to 1."]}),
    ],
)
def test_bad_filters_are_400_with_the_field_message(api, emails, query, errors):
    response = api.get(LIST, query)
    assert response.status_code == 400
    assert response.json() == errors


def test_list_queries_do_not_grow_with_rows(api, django_assert_max_num_queries):
    for n in range(60):
        _email(n, status="failed" if n % 2 else "sent")
    with django_assert_max_num_queries(10):
        response = api.get(LIST, {"page_size": 60})
    assert len(response.json()["results"]) == 60


def test_one_email(api, emails):
    response = api.get(reverse("delivery:api_staff_outbox_email", args=[emails[1].pk]))
    assert response.status_code == 200
    assert response.json()["last_error"] == "550 mailbox unavailable"
    assert api.get(reverse("delivery:api_staff_outbox_email", args=[999999])).status_code == 404


def test_console_filters_by_date_too(client, legal, emails):
    login(client, legal)
    body = client.get(reverse("delivery:staff_outbox"), {"since": "2026-03-02"}).content.decode()
    assert "person3@acme.example" in body
    assert "person1@acme.example" not in body


# --- retry ------------------------------------------------------------------------------------------------


def test_retry_sends_a_failed_email_again_and_is_audited_as_in_the_console(
    api, legal, emails, run_on_commit, mailoutbox
):
    failed = emails[1]
    response = run_on_commit(api.post, reverse("delivery:api_staff_outbox_retry", args=[failed.pk]))
    assert response.status_code == 200
    assert response.json()["id"] == failed.pk
    assert (response.json()["status"], response.json()["attempts"]) == ("queued", 0)
    failed.refresh_from_db()
    assert failed.status == "sent"
    assert [m.to for m in mailoutbox] == [["person2@acme.example"]]
    event = AuditEvent.objects.get(action="outbox.retry")
    assert (event.actor_id, event.actor_label) == (legal.pk, legal.email)
    assert (event.target_type, event.target_id) == ("delivery.OutboundEmail", str(failed.pk))
    assert event.details == {"to": "person2@acme.example"}


@pytest.mark.parametrize("index", [0, 2])  # sent, queued
def test_retrying_an_email_that_did_not_fail_is_400_with_the_service_message(api, emails, index, mailoutbox):
    row = emails[index]
    response = api.post(reverse("delivery:api_staff_outbox_retry", args=[row.pk]))
    assert response.status_code == 400
    assert response.json() == {"detail": OUTBOX_RETRY_NOT_FAILED}
    before = (row.status, row.attempts, row.updated_at)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.updated_at) == before
    assert not AuditEvent.objects.filter(action="outbox.retry").exists()
    assert mailoutbox == []


def test_retrying_an_unknown_email_is_404(api):
    assert api.post(reverse("delivery:api_staff_outbox_retry", args=[999999])).status_code == 404


def test_retry_with_the_same_idempotency_key_retries_once(api, emails):
    url = reverse("delivery:api_staff_outbox_retry", args=[emails[1].pk])
    first = api.post(url, HTTP_IDEMPOTENCY_KEY="retry-550")
    again = api.post(url, HTTP_IDEMPOTENCY_KEY="retry-550")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert AuditEvent.objects.filter(action="outbox.retry").count() == 1
    # without the key, the same request is a new retry: refused, the email is no longer failed
    assert api.post(url).status_code == 400


# --- who may call them ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["delivery:api_staff_outbox", "delivery:api_staff_outbox_email"])
@pytest.mark.parametrize("who", list(READ))
def test_who_may_read(name, who, legal, legal_no_mfa, member, emails):
    api = api_caller(who, legal=legal, legal_no_mfa=legal_no_mfa, member=member, perm="delivery.view_outboundemail")
    args = [emails[0].pk] if name.endswith("_email") else []
    response = api.get(reverse(name, args=args))
    assert response.status_code == (READ[who] or 200)
    if READ[who]:
        assert "person" not in response.content.decode()


@pytest.mark.parametrize("who", list(WRITE))
def test_who_may_retry(who, legal, legal_no_mfa, member, emails):
    api = api_caller(who, legal=legal, legal_no_mfa=legal_no_mfa, member=member, perm="delivery.retry_outboundemail")
    response = api.post(reverse("delivery:api_staff_outbox_retry", args=[emails[1].pk]))
    assert response.status_code == (WRITE[who] or 200)
    emails[1].refresh_from_db()
    assert emails[1].status == ("queued" if WRITE[who] is None else "failed")
    assert AuditEvent.objects.filter(action="outbox.retry").count() == (1 if WRITE[who] is None else 0)


def test_an_id_out_of_range_is_404(api):
    assert api.get(reverse("delivery:api_staff_outbox_email", args=[2**70])).status_code == 404
    assert api.post(reverse("delivery:api_staff_outbox_retry", args=[2**70])).status_code == 404
