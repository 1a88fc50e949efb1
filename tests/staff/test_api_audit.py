"""Staff API of the audit log: list, filters, cursor pages, one event, CSV export (itself audited)."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from portal.audit.models import AuditEvent
from portal.audit.selectors import AUDIT_EXPORT_HEADER
from portal.audit.services import audit_record
from portal.core.validators import SINGLE_LINE_REFUSED
from portal.staff.api_audit import AUDIT_ORGANISATION_UNKNOWN, AUDIT_UNTIL_BEFORE_SINCE, CURSOR_INVALID
from tests.auth import login, staff_token
from tests.staff.api_callers import READ, api_caller

pytestmark = pytest.mark.django_db

LIST = reverse("staff:api_staff_audit_events")
EXPORT = reverse("staff:api_staff_audit_export")


@pytest.fixture
def api(legal):
    return APIClient(HTTP_AUTHORIZATION=f"Token {staff_token(legal, scope='read')}")


@pytest.fixture
def log(org, other_org):
    """Three events on three days: an organisation's, another's, and one of the system with no organisation."""
    events = []
    for day, kwargs in [
        (1, {"action": "organisation.tier_changed", "organisation": org, "target": org, "details": {"tier": "x"}}),
        (2, {"action": "dpa.signed", "organisation": other_org, "target_type": "signing.DpaExecution", "target_id": 7}),
        (3, {"action": "audit.key_rotated", "details": {"from_key_id": "a", "to_key_id": "b"}}),
    ]:
        with time_machine.travel(dt.datetime(2026, 3, day, 12, tzinfo=dt.UTC), tick=False):
            events.append(audit_record(**kwargs))
    return events


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_list_is_newest_first_with_labels_and_organisation_public_ids(api, log, org, other_org):
    response = api.get(LIST)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "previous", "results"}  # cursor pages: no count
    assert [e["id"] for e in body["results"]] == [log[2].pk, log[1].pk, log[0].pk]
    first, second, third = body["results"][2], body["results"][1], body["results"][0]
    assert dt.datetime.fromisoformat(first["created_at"]) == dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    assert first == {
        "id": log[0].pk,
        "created_at": first["created_at"],
        "action": "organisation.tier_changed",
        "action_label": log[0].action_label,
        "actor": "system",
        "target_type": "organisations.Organisation",
        "target_id": str(org.pk),
        "organisation": str(org.public_id),
        "ip": None,
        "details": {"tier": "x"},
    }
    assert second["organisation"] == str(other_org.public_id)
    assert (third["organisation"], third["action_label"]) == (None, "Audit chain key rotated")
    # reading is not audited (the console does not audit it either)
    assert AuditEvent.objects.count() == 3


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"action": "DPA.SIG"}, [1]),
        ({"action": "chain key"}, [2]),  # by the label staff read
        ({"actor": "system"}, [2, 1, 0]),
        ({"target_type": "dpaexecution"}, [1]),
        ({"target_id": "7"}, [1]),
        ({"since": "2026-03-02"}, [2, 1]),
        ({"until": "2026-03-02"}, [1, 0]),
        ({"since": "2026-03-02", "until": "2026-03-02"}, [1]),
        ({"action": "", "since": ""}, [2, 1, 0]),  # empty values, as a form sends them, are no filter
    ],
)
def test_list_filters_as_the_console(api, log, query, expected):
    assert [e["id"] for e in api.get(LIST, query).json()["results"]] == [log[i].pk for i in expected]


def test_list_filters_by_organisation_public_id(api, log, other_org):
    results = api.get(LIST, {"organisation": str(other_org.public_id)}).json()["results"]
    assert [e["id"] for e in results] == [log[1].pk]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"since": "yesterday"}, {"since": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
        ({"until": "2026-02-30"}, {"until": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
        ({"since": "2026-03-02", "until": "2026-03-01"}, {"until": [AUDIT_UNTIL_BEFORE_SINCE]}),
        ({"organisation": "acme"}, {"organisation": ["Must be a valid UUID."]}),
        ({"organisation": "00000000-0000-0000-0000-000000000000"}, {"organisation": [AUDIT_ORGANISATION_UNKNOWN]}),
        ({"actor": "a\tb"}, {"actor": [SINGLE_LINE_REFUSED]}),
        ({"page_size": "0"}, {"page_size": ["Ensure this value is greater than or equal to 1."]}),
        ({"page_size": "201"}, {"page_size": ["Ensure this value is less than or equal to 200."]}),
        ({"cursor": "not-a-cursor"}, {"cursor": [CURSOR_INVALID]}),
        ({"cursor": "cD1hYmM="}, {"cursor": [CURSOR_INVALID]}),  # p=abc: a position that is not an id
        ({"cursor": "cD05OTk5OTk5OTk5OTk5OTk5OTk5OTk5OQ=="}, {"cursor": [CURSOR_INVALID]}),  # beyond any id
    ],
)
def test_bad_filters_are_400_with_the_field_message(api, log, query, errors):
    response = api.get(LIST, query)
    assert response.status_code == 400
    assert response.json() == errors


def test_cursor_pages_follow_next_and_are_not_shifted_by_new_events(api, log):
    first = api.get(LIST, {"page_size": 2}).json()
    assert [e["id"] for e in first["results"]] == [log[2].pk, log[1].pk]
    assert first["previous"] is None
    # given an event recorded while the client pages
    audit_record(action="dpa.signed")
    # when it follows `next`
    second = api.get(first["next"]).json()
    # then it gets the older rest, neither repeated nor skipped
    assert [e["id"] for e in second["results"]] == [log[0].pk]
    assert second["next"] is None
    assert "page_size=2" in second["previous"]


def test_list_queries_do_not_grow_with_rows(api, org, other_org, django_assert_max_num_queries):
    for i in range(60):
        audit_record(action="dpa.signed", organisation=(org, other_org, None)[i % 3], details={"n": i})
    with django_assert_max_num_queries(10):
        response = api.get(LIST, {"page_size": 60})
    assert len(response.json()["results"]) == 60


def test_one_event(api, log, org):
    response = api.get(reverse("staff:api_staff_audit_event", args=[log[0].pk]))
    assert response.status_code == 200
    assert response.json()["organisation"] == str(org.public_id)
    assert api.get(reverse("staff:api_staff_audit_event", args=[999999])).status_code == 404


# --- export -----------------------------------------------------------------------------------------------


def test_export_is_the_consoles_csv_and_is_itself_audited(client, api, legal, log):
    # given the console's export of a filtered log
    login(client, legal)
    console = _csv(client.get(reverse("staff:audit_export"), {"since": "2026-03-02"}))
    # when the API exports the same
    response = api.get(EXPORT, {"since": "2026-03-02"})
    # then it is the same CSV (plus the console's own export event, recorded since)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="audit-log.csv"'
    rows = _csv(response)
    assert rows[0] == AUDIT_EXPORT_HEADER
    assert rows[:-1] == console
    assert [r[3] for r in rows[1:]] == ["dpa.signed", "audit.key_rotated", "audit.exported", "audit.exported"]
    assert rows[1] == [
        str(log[1].pk),
        log[1].created_at.isoformat(),
        "system",
        "dpa.signed",
        log[1].action_label,
        "signing.DpaExecution",
        "7",
        str(log[1].organisation_id),
        "",
        "{}",
        log[1].hash,
    ]
    # and the export is recorded as the console records it
    console_event, api_event = AuditEvent.objects.filter(action="audit.exported").order_by("id")
    assert api_event.actor_id == console_event.actor_id == legal.pk
    assert api_event.actor_label == legal.email
    assert api_event.details == console_event.details == {"filters": {"since": "2026-03-02"}}
    assert (api_event.target_type, api_event.target_id, api_event.organisation_id) == ("", "", None)


def test_export_answers_accept_text_csv(api, log):
    response = api.get(EXPORT, HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert len(_csv(response)) == 1 + 3 + 1


def test_export_with_a_bad_filter_is_400_json_and_not_audited(api, log):
    response = api.get(EXPORT, {"until": "soon"}, HTTP_ACCEPT="text/csv")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(response.json()) == ["until"]
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


# --- who may call them ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "perm"),
    [
        ("staff:api_staff_audit_events", "audit.view_auditevent"),
        ("staff:api_staff_audit_event", "audit.view_auditevent"),
        ("staff:api_staff_audit_export", "audit.export_auditevent"),
    ],
)
@pytest.mark.parametrize("who", list(READ))
def test_who_may_read_and_export(name, perm, who, legal, legal_no_mfa, member, log):
    api = api_caller(who, legal=legal, legal_no_mfa=legal_no_mfa, member=member, perm=perm)
    args = [log[0].pk] if name == "staff:api_staff_audit_event" else []
    response = api.get(reverse(name, args=args))
    assert response.status_code == (READ[who] or 200)
    exported = AuditEvent.objects.filter(action="audit.exported").count()
    assert exported == (1 if name == "staff:api_staff_audit_export" and READ[who] is None else 0)
    if READ[who] is None and name == "staff:api_staff_audit_export":
        assert len(_csv(response)) == 1 + 4


def test_console_filters_by_target_id_too(client, legal, log):
    login(client, legal)
    body = client.get(reverse("staff:audit"), {"target_id": "7"}).content.decode()
    assert "dpa.signed" in body
    assert "organisation.tier_changed" not in body


def test_an_id_out_of_range_is_404(api):
    assert api.get(reverse("staff:api_staff_audit_event", args=[2**70])).status_code == 404
