"""Staff API for the obligation register: the console's filters, record, complete with evidence, exports."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.deadlines.models import Obligation
from portal.deadlines.obligations import (
    ALREADY_COMPLETED,
    BREACH_COMPLETES_WHEN_DELIVERED,
    EVIDENCE_REQUIRED,
    RECEIVED_IN_FUTURE,
    RECEIVED_TOO_EARLY,
    obligation_create,
    obligation_remind,
)
from tests.auth import login, staff_token
from tests.breaches.factories import make_incident

pytestmark = pytest.mark.django_db
UNKNOWN = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def obligation(org, legal):
    return obligation_create(
        kind="disclosure_order",
        organisation=org,
        received_at=timezone.now() - dt.timedelta(days=1),
        actor=legal,
        title="Court order from the Amsterdam district court",
    )


def _url(name, obligation=None):
    return reverse(f"deadlines:{name}", args=[obligation.public_id] if obligation else [])


def _events(obligation, action):
    return list(
        AuditEvent.objects.filter(action=action, target_id=str(obligation.pk))
        .order_by("id")
        .values_list("actor_label", "details")
    )


def _as(client, who, *, legal, legal_no_mfa, member) -> dict:
    if who == "customer":
        login(client, member)
    elif who == "legal without MFA":
        login(client, legal_no_mfa)
    elif who in ("legal (session)", "legal without the permission"):
        login(client, legal)
    elif who == "read-only staff token":
        return {"HTTP_AUTHORIZATION": f"Token {staff_token(legal, scope='read')}"}
    elif who == "staff token":
        return {"HTTP_AUTHORIZATION": f"Token {staff_token(legal)}"}
    return {}


def _drop_perm(codename):
    Group.objects.get(name="legal").permissions.remove(Permission.objects.get(codename=codename))


def _matrix(ok, *, write):
    return [
        ("anonymous", 401),
        ("customer", 403),
        ("legal without MFA", 403),
        ("legal without the permission", 403),
        ("read-only staff token", 403 if write else ok),
        ("legal (session)", ok),
        ("staff token", ok),
    ]


# --- read ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("who", "expected"), _matrix(200, write=False))
@pytest.mark.parametrize("name", ["api_staff_list", "api_staff_detail", "api_staff_export_csv", "api_staff_export_ics"])
def test_read_permission_matrix(client, obligation, legal, legal_no_mfa, member, who, expected, name):
    if who == "legal without the permission":
        _drop_perm("view_obligation")
    headers = _as(client, who, legal=legal, legal_no_mfa=legal_no_mfa, member=member)
    response = client.get(_url(name, obligation if name == "api_staff_detail" else None), **headers)
    assert response.status_code == expected


def test_list_filters_as_the_register(client, legal, org, other_org, obligation, django_assert_max_num_queries):
    # given an overdue request of another organisation and a completed deletion
    late = obligation_create(
        kind="data_subject_request",
        organisation=other_org,
        received_at=timezone.now() - dt.timedelta(days=20),
        actor=legal,
        title="Old request",
    )
    done = obligation_create(
        kind="deletion_after_termination", organisation=org, received_at=timezone.now(), actor=legal
    )
    login(client, legal)
    client.post(_url("api_staff_complete", done), {"evidence": "Deleted, confirmed by email."})
    # when
    with django_assert_max_num_queries(8):
        body = client.get(_url("api_staff_list")).json()
    # then soonest due first
    assert [row["id"] for row in body["results"]] == [
        str(late.public_id),
        str(obligation.public_id),
        str(done.public_id),
    ]
    row = body["results"][0]
    assert row["overdue"] is True
    assert (row["status"], row["kind"], row["on_time"], row["completed_at"]) == (
        "open",
        "data_subject_request",
        None,
        None,
    )
    assert row["organisation"] == {"id": str(other_org.public_id), "name": other_org.name}
    assert row["console_url"] == f"http://testserver/staff/obligations/{late.public_id}/"

    def ids(**params):
        response = client.get(_url("api_staff_list"), params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids(state="overdue") == [str(late.public_id)]
    assert ids(state="open") == [str(late.public_id), str(obligation.public_id)]
    assert ids(state="completed") == [str(done.public_id)]
    assert ids(kind="disclosure_order") == [str(obligation.public_id)]
    assert ids(organisation=str(other_org.public_id)) == [str(late.public_id)]
    assert ids(due_before=obligation.due_at.isoformat()) == [str(late.public_id)]
    assert ids(due_after=obligation.due_at.isoformat()) == [str(obligation.public_id), str(done.public_id)]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"state": "late"}, "state", "is not a valid choice"),
        ({"kind": "nonsense"}, "kind", "is not a valid choice"),
        ({"organisation": UNKNOWN}, "organisation", "No organisation has this id."),
        ({"organisation": "42"}, "organisation", "Must be a valid UUID"),
        ({"due_before": "tomorrow"}, "due_before", "Datetime has wrong format"),
    ],
)
@pytest.mark.parametrize("name", ["api_staff_list", "api_staff_export_csv"])
def test_bad_filter_is_400(client, legal, obligation, params, field, message, name):
    login(client, legal)
    response = client.get(_url(name), params)
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    assert not AuditEvent.objects.filter(action="obligation.register_exported").exists()


def test_detail(client, legal, obligation):
    login(client, legal)
    body = client.get(_url("api_staff_detail", obligation)).json()
    assert body["id"] == str(obligation.public_id)
    assert body["title"] == "Court order from the Amsterdam district court"
    assert body["due_at"] == obligation.due_at.astimezone(timezone.get_current_timezone()).isoformat()
    assert (body["evidence_file"], body["evidence_file_url"]) == (None, None)
    assert (body["reminders"], body["breach_incident"]) == ([], None)
    obligation_remind(obligation_id=obligation.pk, now=obligation.due_at - dt.timedelta(hours=20))
    assert [r["stage"] for r in client.get(_url("api_staff_detail", obligation)).json()["reminders"]] == ["24h"]
    assert client.get(reverse("deadlines:api_staff_detail", args=[UNKNOWN])).status_code == 404


# --- create -------------------------------------------------------------------------------------------
CREATE = {"kind": "data_subject_request", "received_at": "2026-04-02T16:30:00+02:00"}


@pytest.mark.parametrize(("who", "expected"), _matrix(201, write=True))
def test_create_permission_matrix(client, org, legal, legal_no_mfa, member, who, expected):
    if who == "legal without the permission":
        _drop_perm("add_obligation")
    headers = _as(client, who, legal=legal, legal_no_mfa=legal_no_mfa, member=member)
    with time_machine.travel(dt.datetime(2026, 4, 10, 9, 0, tzinfo=dt.UTC), tick=False):
        response = client.post(
            _url("api_staff_list"), {**CREATE, "organisation": str(org.public_id)}, "application/json", **headers
        )
    assert response.status_code == expected
    assert Obligation.objects.count() == (1 if expected == 201 else 0)


def test_create_computes_the_due_date_and_audits_as_the_console(client, legal, org):
    login(client, legal)
    with time_machine.travel(dt.datetime(2026, 4, 10, 9, 0, tzinfo=dt.UTC), tick=False):
        console = client.post(
            reverse("deadlines:staff_new"),
            {"kind": "data_subject_request", "organisation": org.pk, "received_at": "2026-04-02T16:30"},
        )
        response = client.post(
            _url("api_staff_list"), {**CREATE, "organisation": str(org.public_id)}, "application/json"
        )
    assert console.status_code == 302
    assert response.status_code == 201
    twin, made = Obligation.objects.order_by("id")
    body = response.json()
    assert body["id"] == str(made.public_id)
    assert (body["kind"], body["status"], body["title"]) == ("data_subject_request", "open", twin.title)
    assert made.due_at == twin.due_at  # Easter in between: 13 April, end of the local day
    assert dt.datetime.fromisoformat(body["due_at"]) == twin.due_at
    assert made.created_by == legal
    assert _events(made, "obligation.created")[0][1]["due_at"] == _events(twin, "obligation.created")[0][1]["due_at"]
    assert len(_events(made, "obligation.created")) == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "breach_notification"}, "kind", "is not a valid choice"),
        ({"kind": "nonsense"}, "kind", "is not a valid choice"),
        ({"received_at": "yesterday"}, "received_at", "Datetime has wrong format"),
        ({"received_at": "2099-01-01T10:00:00Z"}, "received_at", RECEIVED_IN_FUTURE),
        # schemathesis sent year 825: stored, it came back with Amsterdam's 1914 offset +00:19:32, not RFC 3339
        ({"received_at": "0825-07-11T08:14:17Z"}, "received_at", RECEIVED_TOO_EARLY),
        ({"organisation": UNKNOWN}, "organisation", "No organisation has this id."),
        ({"title": "two\nlines"}, "title", "line"),
        ({"title": "x" * 201}, "title", "no more than 200"),
    ],
)
def test_create_bad_input_changes_nothing(client, legal, org, data, field, message):
    login(client, legal)
    payload = {**CREATE, "organisation": str(org.public_id), **data}
    response = client.post(_url("api_staff_list"), payload, "application/json")
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    assert not Obligation.objects.exists()
    assert not AuditEvent.objects.filter(action="obligation.created").exists()


def test_create_is_idempotent(client, legal, org):
    login(client, legal)
    payload = {**CREATE, "organisation": str(org.public_id)}
    first = client.post(_url("api_staff_list"), payload, "application/json", HTTP_IDEMPOTENCY_KEY="order-7")
    again = client.post(_url("api_staff_list"), payload, "application/json", HTTP_IDEMPOTENCY_KEY="order-7")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Obligation.objects.count() == 1


# --- complete -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("who", "expected"), _matrix(200, write=True))
def test_complete_permission_matrix(client, obligation, legal, legal_no_mfa, member, who, expected):
    if who == "legal without the permission":
        _drop_perm("complete_obligation")
    headers = _as(client, who, legal=legal, legal_no_mfa=legal_no_mfa, member=member)
    response = client.post(_url("api_staff_complete", obligation), {"evidence": "Notified."}, **headers)
    assert response.status_code == expected
    obligation.refresh_from_db()
    assert obligation.status == ("completed" if expected == 200 else "open")


def test_complete_with_a_file_as_the_console(client, legal, org, obligation):
    twin = obligation_create(
        kind="disclosure_order", organisation=org, received_at=timezone.now() - dt.timedelta(days=1), actor=legal
    )
    login(client, legal)
    upload = SimpleUploadedFile("notice.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")
    console = client.post(
        _url("staff_detail", twin), {"evidence": "Controller notified on 3 June.", "evidence_file": upload}
    )
    assert console.status_code == 302
    # when (multipart, as curl -F sends it)
    upload = SimpleUploadedFile("notice.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")
    response = client.post(
        _url("api_staff_complete", obligation), {"evidence": "Controller notified on 3 June.", "evidence_file": upload}
    )
    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["on_time"], body["completed_by"]) == ("completed", True, legal.email)
    assert body["evidence"] == "Controller notified on 3 June."
    assert body["evidence_file"].endswith(".pdf")
    obligation.refresh_from_db()
    twin.refresh_from_db()
    assert obligation.status == "completed"
    assert obligation.evidence_file.name.startswith("obligations/evidence/")
    assert obligation.evidence_file.name.rsplit("/", 1)[0] == twin.evidence_file.name.rsplit("/", 1)[0]
    assert obligation.evidence_file.read() == b"%PDF-1.4 evidence"
    download = client.get(body["evidence_file_url"].removeprefix("http://testserver"))
    assert b"".join(download.streaming_content) == b"%PDF-1.4 evidence"
    (label, details), (twin_label, twin_details) = (
        _events(obligation, "obligation.completed")[0],
        _events(twin, "obligation.completed")[0],
    )
    assert label == twin_label == legal.email
    assert {k: v for k, v in details.items() if k not in ("completed_at", "due_at", "evidence_file")} == {
        k: v for k, v in twin_details.items() if k not in ("completed_at", "due_at", "evidence_file")
    }
    assert details["evidence_file"] == obligation.evidence_file.name


def test_complete_with_json_and_twice(client, legal, obligation):
    login(client, legal)
    url = _url("api_staff_complete", obligation)
    first = client.post(url, {"evidence": "Controller notified by email."}, "application/json")
    assert first.status_code == 200
    assert first.json()["evidence_file"] is None
    # when completed again
    again = client.post(url, {"evidence": "again"}, "application/json")
    # then
    assert again.status_code == 400
    assert again.json() == {"detail": ALREADY_COMPLETED}
    obligation.refresh_from_db()
    assert obligation.evidence == "Controller notified by email."
    assert len(_events(obligation, "obligation.completed")) == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"evidence": "  "}, "evidence", EVIDENCE_REQUIRED),
        ({}, "evidence", "This field is required."),
        ({"evidence": "done", "evidence_file": "not a file"}, "evidence_file", "not a file"),
    ],
)
def test_complete_bad_input_changes_nothing(client, legal, obligation, data, field, message):
    login(client, legal)
    response = client.post(_url("api_staff_complete", obligation), data)
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    obligation.refresh_from_db()
    assert obligation.status == "open"
    assert not _events(obligation, "obligation.completed")


def test_complete_refuses_a_large_file(client, legal, obligation, monkeypatch):
    monkeypatch.setattr("portal.deadlines.api_staff.MAX_EVIDENCE_BYTES", 10)
    login(client, legal)
    upload = SimpleUploadedFile("big.pdf", b"x" * 11, content_type="application/pdf")
    response = client.post(_url("api_staff_complete", obligation), {"evidence": "done", "evidence_file": upload})
    assert response.status_code == 400
    assert response.json() == {"evidence_file": ["The file is larger than 10 MB."]}


def test_breach_notification_is_completed_by_sending_only(client, legal, org):
    incident = make_incident(organisations=[org], actor=legal)
    obligation = incident.notifications.get().obligation
    login(client, legal)
    detail = client.get(_url("api_staff_detail", obligation)).json()
    assert detail["breach_incident"] == {
        "id": str(incident.public_id),
        "title": incident.title,
        "console_url": f"http://testserver/staff/breaches/{incident.public_id}/",
    }
    response = client.post(_url("api_staff_complete", obligation), {"evidence": "sent by phone"}, "application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": BREACH_COMPLETES_WHEN_DELIVERED}
    obligation.refresh_from_db()
    assert obligation.status == "open"


def test_complete_is_idempotent(client, legal, obligation):
    login(client, legal)
    url = _url("api_staff_complete", obligation)
    first = client.post(url, {"evidence": "Notified."}, "application/json", HTTP_IDEMPOTENCY_KEY="done-1")
    again = client.post(url, {"evidence": "Notified."}, "application/json", HTTP_IDEMPOTENCY_KEY="done-1")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again["Idempotent-Replayed"] == "true"
    assert len(_events(obligation, "obligation.completed")) == 1


# --- exports ------------------------------------------------------------------------------------------
def test_csv_export_as_the_console(client, legal, obligation, other_org):
    obligation_create(kind="disclosure_order", organisation=other_org, received_at=timezone.now(), actor=legal)
    headers = {"HTTP_AUTHORIZATION": f"Token {staff_token(legal)}", "HTTP_ACCEPT": "application/json"}
    response = client.get(
        _url("api_staff_export_csv"), {"organisation": str(obligation.organisation.public_id)}, **headers
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    login(client, legal)
    console = client.get(reverse("deadlines:staff_export_csv"), {"organisation": obligation.organisation.pk})
    assert rows == list(csv.reader(io.StringIO(b"".join(console.streaming_content).decode())))
    assert [row[0] for row in rows] == ["id", str(obligation.public_id)]
    exports = AuditEvent.objects.filter(action="obligation.register_exported").values_list("actor_label", "details")
    assert list(exports) == [(legal.email, {"format": "csv"})] * 2


def test_ics_export(client, legal, obligation):
    login(client, legal)
    response = client.get(_url("api_staff_export_ics"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "Court order from the Amsterdam district court" in response.content.decode()
