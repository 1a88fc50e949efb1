"""Staff API for objections: the same services, permissions, emails and audit events as the console's page."""

import datetime as dt
from collections import Counter

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.delivery.models import OutboundEmail
from subprocessors.objections.models import Objection, ObjectionMessage
from subprocessors.objections.services import (
    OBJECTION_BAD_TRANSITION,
    OBJECTION_THREAD_CLOSED,
    objection_create,
    objection_message_post,
)
from tests.auth import login, staff_token
from tests.changes.factories import make_change

pytestmark = pytest.mark.django_db
GROUNDS = "The new provider would receive patient identifiers outside our approved data-processing regions."
FILED = dt.datetime(2026, 12, 20, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def change(db):
    return make_change(status="announced", effective_date=dt.date(2026, 12, 29))


def _file(change, org, member) -> Objection:
    with time_machine.travel(FILED, tick=False):
        return objection_create(change=change, organisation=org, grounds=GROUNDS, actor=member)


@pytest.fixture
def objection(change, org, member):
    objection = _file(change, org, member)
    OutboundEmail.objects.all().delete()
    return objection


def _url(name, objection=None):
    return reverse(f"objections:{name}", args=[objection.public_id] if objection else [])


def _events(objection):
    """What the audit log holds for the objection after it was filed, as comparable tuples."""
    rows = AuditEvent.objects.filter(target_type="objections.Objection", target_id=str(objection.pk)).exclude(
        action="objection.received"
    )
    return [
        (e.action, e.actor_label, {k: v for k, v in e.details.items() if k != "message"}) for e in rows.order_by("id")
    ]


def _as(client, who, *, legal, legal_no_mfa, member) -> dict:
    """Sign `client` in as `who`; returns the extra headers (a token) to send."""
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


# --- read ---------------------------------------------------------------------------------------------
READ_MATRIX = [
    ("anonymous", 401),
    ("customer", 403),
    ("legal without MFA", 403),
    ("legal without the permission", 403),
    ("read-only staff token", 200),
    ("legal (session)", 200),
    ("staff token", 200),
]


@pytest.mark.parametrize(("who", "expected"), READ_MATRIX)
@pytest.mark.parametrize("name", ["api_staff_list", "api_staff_detail"])
def test_read_permission_matrix(client, objection, legal, legal_no_mfa, member, who, expected, name):
    if who == "legal without the permission":
        _drop_perm("view_objection")
    headers = _as(client, who, legal=legal, legal_no_mfa=legal_no_mfa, member=member)
    response = client.get(_url(name, objection if name == "api_staff_detail" else None), **headers)
    assert response.status_code == expected


def test_list_filters_and_shape(
    client, legal, objection, change, org, other_org, other_member, django_assert_max_num_queries
):
    # given a second objection by another organisation, in consultation, and one on another change
    second = _file(change, other_org, other_member)
    objection_message_post(objection=second, body="Let us talk.", actor=legal, from_staff=True)
    other_change = make_change(status="announced", effective_date=dt.date(2026, 12, 29))
    third = _file(other_change, org, objection.raised_by)
    login(client, legal)
    # when
    with django_assert_max_num_queries(8):
        everything = client.get(_url("api_staff_list")).json()
    # then newest first, with what a script needs
    assert [row["id"] for row in everything["results"]] == [str(o.public_id) for o in (third, second, objection)]
    row = everything["results"][1]
    assert row["status"] == "in_consultation"
    assert row["organisation"] == {"id": str(other_org.public_id), "name": other_org.name}
    assert row["change"]["id"] == str(change.public_id)
    assert row["change"]["console_url"] == f"http://testserver/staff/subprocessor-changes/{change.public_id}/"
    assert row["console_url"] == "http://testserver" + reverse("objections:staff_detail", args=[second.public_id])
    assert row["message_count"] == 1
    assert row["allowed_transitions"] == ["withdrawn", "accommodated", "unresolved"]
    assert row["raised_by"] == other_member.email

    def ids(**params):
        response = client.get(_url("api_staff_list"), params)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids(status="in_consultation") == {str(second.public_id)}
    assert ids(status="open") == {str(objection.public_id), str(second.public_id), str(third.public_id)}
    assert ids(status="withdrawn") == set()
    assert ids(change=str(change.public_id)) == {str(objection.public_id), str(second.public_id)}
    assert ids(organisation=str(org.public_id)) == {str(objection.public_id), str(third.public_id)}
    assert ids(organisation=str(org.public_id), change=str(change.public_id)) == {str(objection.public_id)}


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"status": "closed"}, "status", "is not a valid choice"),
        ({"change": "not-a-uuid"}, "change", "Must be a valid UUID"),
        ({"change": "00000000-0000-4000-8000-000000000000"}, "change", "No change has this id."),
        ({"organisation": "00000000-0000-4000-8000-000000000000"}, "organisation", "No organisation has this id."),
        ({"page_size": "0"}, "page_size", "greater than or equal to 1"),
    ],
)
def test_list_bad_filter_is_400(client, legal, objection, params, field, message):
    login(client, legal)
    response = client.get(_url("api_staff_list"), params)
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])


def test_detail_shows_the_thread_as_the_console(client, legal, objection, member):
    objection_message_post(objection=objection, body="Which regions?", actor=legal, from_staff=True)
    objection_message_post(objection=objection, body="Only NL and DE.", actor=member, from_staff=False)
    login(client, legal)
    body = client.get(_url("api_staff_detail", objection)).json()
    assert body["grounds"] == GROUNDS
    assert body["status"] == "in_consultation"
    assert body["is_open"] is True
    assert [(m["from_staff"], m["author"], m["body"]) for m in body["messages"]] == [
        (True, legal.email, "Which regions?"),
        (False, member.email, "Only NL and DE."),
    ]
    unknown = reverse("objections:api_staff_detail", args=["00000000-0000-4000-8000-000000000000"])
    assert client.get(unknown).status_code == 404


# --- reply --------------------------------------------------------------------------------------------
WRITE_MATRIX = [
    ("anonymous", 401),
    ("customer", 403),
    ("legal without MFA", 403),
    ("legal without the permission", 403),
    ("read-only staff token", 403),
    ("legal (session)", 201),
    ("staff token", 201),
]


@pytest.mark.parametrize(("who", "expected"), WRITE_MATRIX)
def test_reply_permission_matrix(client, objection, legal, legal_no_mfa, member, who, expected):
    if who == "legal without the permission":
        _drop_perm("decide_objection")  # what the console's reply form checks
    headers = _as(client, who, legal=legal, legal_no_mfa=legal_no_mfa, member=member)
    url = _url("api_staff_reply", objection)
    response = client.post(url, {"body": "Which regions?"}, "application/json", **headers)
    assert response.status_code == expected
    assert ObjectionMessage.objects.count() == (1 if expected == 201 else 0)


def test_reply_emails_the_customer_once_and_audits_as_the_console(
    client, legal, objection, change, other_org, other_member, member, org
):
    # given the same reply through the console on another objection, for comparison
    twin = _file(change, other_org, other_member)
    login(client, legal)
    assert client.post(_url("staff_detail", twin), {"body": "Which regions?"}).status_code == 302
    OutboundEmail.objects.all().delete()
    # when
    response = client.post(_url("api_staff_reply", objection), {"body": "Which regions?"}, "application/json")
    # then
    assert response.status_code == 201
    body = response.json()
    assert body["id"] == str(objection.public_id)
    assert body["status"] == "in_consultation"
    assert [(m["from_staff"], m["body"]) for m in body["messages"]] == [(True, "Which regions?")]
    objection.refresh_from_db()
    assert objection.status == "in_consultation"
    # one email to each of the objecting organisation's addresses (its privacy contact, the person who objected)
    sent = Counter(OutboundEmail.objects.values_list("to_email", flat=True))
    assert sent == Counter({member.email: 1, org.privacy_contact_email: 1})
    assert set(OutboundEmail.objects.values_list("template", flat=True)) == {"objection_message"}
    assert "Which regions?" in OutboundEmail.objects.first().body_text
    assert _events(objection) == _events(twin)
    assert [e[0] for e in _events(objection)] == ["objection.status", "objection.message"]


def test_reply_when_the_organisation_has_one_address_sends_exactly_one_email(client, legal, change, org, member):
    org.privacy_contact_email = member.email
    org.save()
    objection = _file(change, org, member)
    OutboundEmail.objects.all().delete()
    login(client, legal)
    assert client.post(_url("api_staff_reply", objection), {"body": "Noted."}, "application/json").status_code == 201
    assert list(OutboundEmail.objects.values_list("to_email", flat=True)) == [member.email]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"body": "   "}, "body", "Write a message."),
        ({"body": ""}, "body", "Write a message."),
        ({}, "body", "This field is required."),
        ({"body": None}, "body", "may not be null"),
    ],
)
def test_reply_bad_input_changes_nothing(client, legal, objection, data, field, message):
    login(client, legal)
    response = client.post(_url("api_staff_reply", objection), data, "application/json")
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    assert not ObjectionMessage.objects.exists()
    assert not OutboundEmail.objects.exists()
    objection.refresh_from_db()
    assert objection.status == "received"


def test_reply_to_a_closed_objection_is_refused(client, legal, objection):
    login(client, legal)
    client.post(_url("api_staff_transition", objection), {"status": "withdrawn"}, "application/json")
    response = client.post(_url("api_staff_reply", objection), {"body": "Still there?"}, "application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": OBJECTION_THREAD_CLOSED}
    assert not ObjectionMessage.objects.exists()


def test_reply_is_idempotent(client, legal, objection):
    login(client, legal)
    url = _url("api_staff_reply", objection)
    first = client.post(url, {"body": "Which regions?"}, "application/json", HTTP_IDEMPOTENCY_KEY="reply-1")
    again = client.post(url, {"body": "Which regions?"}, "application/json", HTTP_IDEMPOTENCY_KEY="reply-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert ObjectionMessage.objects.count() == 1
    assert OutboundEmail.objects.count() == 2  # the two customer addresses, once each


# --- transition ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("who", "expected"), [(w, 200 if e == 201 else e) for w, e in WRITE_MATRIX])
def test_transition_permission_matrix(client, objection, legal, legal_no_mfa, member, who, expected):
    if who == "legal without the permission":
        _drop_perm("decide_objection")
    headers = _as(client, who, legal=legal, legal_no_mfa=legal_no_mfa, member=member)
    response = client.post(
        _url("api_staff_transition", objection), {"status": "in_consultation"}, "application/json", **headers
    )
    assert response.status_code == expected
    objection.refresh_from_db()
    assert objection.status == ("in_consultation" if expected == 200 else "received")


def test_transition_as_the_console(client, legal, objection, change, other_org, other_member, member):
    twin = _file(change, other_org, other_member)
    login(client, legal)
    console = client.post(_url("staff_detail", twin), {"status": "unresolved", "note": "We keep the provider."})
    assert console.status_code == 302
    OutboundEmail.objects.all().delete()
    # when
    response = client.post(
        _url("api_staff_transition", objection),
        {"status": "unresolved", "note": "We keep the provider."},
        "application/json",
    )
    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["outcome_note"], body["is_open"], body["allowed_transitions"]) == (
        "unresolved",
        "We keep the provider.",
        False,
        [],
    )
    assert body["closed_at"] is not None
    objection.refresh_from_db()
    assert objection.status == "unresolved"
    assert _events(objection) == _events(twin)
    assert set(OutboundEmail.objects.values_list("template", flat=True)) == {"objection_status"}
    assert member.email in set(OutboundEmail.objects.values_list("to_email", flat=True))


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"status": "received"}, "status", "is not a valid choice"),
        ({"status": "closed"}, "status", "is not a valid choice"),
        ({}, "status", "This field is required."),
    ],
)
def test_transition_bad_input_changes_nothing(client, legal, objection, data, field, message):
    login(client, legal)
    response = client.post(_url("api_staff_transition", objection), data, "application/json")
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    objection.refresh_from_db()
    assert objection.status == "received"
    assert _events(objection) == []


def test_illegal_transition_answers_the_service_message(client, legal, objection):
    login(client, legal)
    url = _url("api_staff_transition", objection)
    assert client.post(url, {"status": "accommodated"}, "application/json").status_code == 200
    events_before = _events(objection)
    response = client.post(url, {"status": "unresolved"}, "application/json")
    assert response.status_code == 400
    assert response.json() == {
        "status": [OBJECTION_BAD_TRANSITION.format(current="accommodated", target="unresolved — termination right")]
    }
    objection.refresh_from_db()
    assert objection.status == "accommodated"
    assert _events(objection) == events_before


def test_transition_is_idempotent(client, legal, objection):
    login(client, legal)
    url = _url("api_staff_transition", objection)
    data = {"status": "accommodated", "note": "EU region only."}
    first = client.post(url, data, "application/json", HTTP_IDEMPOTENCY_KEY="move-1")
    again = client.post(url, data, "application/json", HTTP_IDEMPOTENCY_KEY="move-1")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again["Idempotent-Replayed"] == "true"
    assert [e[0] for e in _events(objection)] == ["objection.status"]
    other = client.post(url, {**data, "note": "changed"}, "application/json", HTTP_IDEMPOTENCY_KEY="move-1")
    assert other.status_code == 409
