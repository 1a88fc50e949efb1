"""Staff API of the breach register (dpa/breaches/api_staff.py) and the customer's acknowledgement (api.py): the
console's rules, messages and audit events, through the API."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from dpa.breaches.models import BreachAwarenessChange, BreachIncident, BreachNotification
from dpa.breaches.services import (
    AWARE_IN_FUTURE,
    AWARE_LOCKED,
    AWARE_LOCKED_SENT,
    AWARE_REASON_REQUIRED,
    NATURE_TOO_SHORT,
    NO_ORGANISATIONS,
    NOT_SENT_YET,
    NOTHING_TO_SEND,
    SUBPROCESSOR_REQUIRED,
    breach_notification_send,
)
from portal.audit.models import AuditEvent
from portal.core.api_staff import STAFF_PERMISSION_MESSAGE
from portal.delivery.models import OutboundEmail
from portal.organisations.authentication import READ_ONLY_MESSAGE
from tests.auth import login, staff_token, user_token
from tests.breaches.factories import FILLED, deliver, make_incident, refuse_every_attempt
from tests.organisations.factories import MembershipFactory, OrganisationFactory
from tests.pdf import get_prepared, pdf_text

pytestmark = pytest.mark.django_db
FAILING = "tests.delivery.test_outbox.FailingBackend"


@pytest.fixture
def api():
    return APIClient()


def _url(name, incident=None, *args):
    return reverse(f"breaches:{name}", args=[incident.public_id, *args] if incident else args)


def _notice(incident, org) -> BreachNotification:
    return BreachNotification.objects.get(incident=incident, organisation=org)


def _fail(notification, settings, actor) -> BreachNotification:
    backend, settings.EMAIL_BACKEND = settings.EMAIL_BACKEND, FAILING
    n = breach_notification_send(notification=notification, actor=actor)
    refuse_every_attempt(n.email_id)
    settings.EMAIL_BACKEND = backend
    return BreachNotification.objects.get(pk=n.pk)


def _create_body(org, **change):
    return {
        "title": "Leaked API key",
        "aware_at": "2026-06-01T10:00:00+02:00",
        "detected_by": "Bug bounty",
        "severity": "high",
        "scope": "selected",
        "organisations": [str(org.public_id)],
        **FILLED,
        **change,
    }


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _audit_actions(after_id=0) -> list[str]:
    return list(AuditEvent.objects.filter(id__gt=after_id).order_by("id").values_list("action", flat=True))


def _last_audit_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


# --- permission matrix ---------------------------------------------------------------------------------------


@pytest.fixture
def world(legal, org, other_org, settings):
    """Incident with three notices: Acme failed, Globex queued, Initech drafted; and Umbrella not affected."""
    third = OrganisationFactory(name="Initech Ltd")
    fourth = OrganisationFactory(name="Umbrella plc")
    incident = make_incident(organisations=[org, other_org, third], actor=legal, pending=("measures",))
    failed = _fail(_notice(incident, org), settings, legal)
    breach_notification_send(notification=_notice(incident, other_org), actor=legal)
    return {"incident": incident, "failed": failed, "fourth": fourth, "org": org}


def _calls(world):
    incident, failed = world["incident"], world["failed"]
    return {
        "list": ("get", _url("api_staff_list"), None, "view_breachincident", 200),
        "create": ("post", _url("api_staff_list"), _create_body(world["org"]), "add_breachincident", 201),
        "detail": ("get", _url("api_staff_detail", incident), None, "view_breachincident", 200),
        "update": ("patch", _url("api_staff_detail", incident), {"severity": "critical"}, "change_breachincident", 200),
        "send": ("post", _url("api_staff_send", incident), {}, "send_breachnotification", 200),
        "followup": (
            "post",
            _url("api_staff_followup", incident),
            {"message": "Keys rotated."},
            "send_breachnotification",
            201,
        ),
        "resend": (
            "post",
            _url("api_staff_resend", incident, failed.public_id),
            {"to": "soc@acme-backup.example"},
            "send_breachnotification",
            200,
        ),
        "add_organisations": (
            "post",
            _url("api_staff_add_organisations", incident),
            {"scope": "selected", "organisations": [str(world["fourth"].public_id)]},
            "change_breachincident",
            201,
        ),
        "report": ("get", _url("api_staff_report", incident), None, "view_breachincident", 202),
    }


WHO = ["anonymous", "customer", "legal_no_mfa", "legal_read_only_token", "legal_without_perm", "legal", "legal_token"]


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize(
    "call", ["list", "create", "detail", "update", "send", "followup", "resend", "add_organisations", "report"]
)
def test_permission_matrix(api, world, call, who, legal, legal_no_mfa, member):
    # given
    method, url, body, perm, ok = _calls(world)[call]
    writes = method != "get"
    if who == "customer":
        api.credentials(HTTP_AUTHORIZATION=f"Token {user_token(member)}")
    elif who == "legal_no_mfa":
        login(api, legal_no_mfa)
    elif who == "legal_read_only_token":
        api.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(legal, scope='read')}")
    elif who == "legal_without_perm":
        Group.objects.get(name="legal").permissions.remove(Permission.objects.get(codename=perm))
        login(api, legal)
    elif who == "legal":
        login(api, legal)
    elif who == "legal_token":
        api.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(legal)}")
    before = _last_audit_id()
    emails = OutboundEmail.objects.count()
    # when
    response = getattr(api, method)(url, body, format="json") if writes else api.get(url)
    # then
    expected = {
        "anonymous": 401,
        "customer": 403,
        "legal_no_mfa": 403,
        "legal_read_only_token": 403 if writes else ok,
        "legal_without_perm": 403,
    }.get(who, ok)
    assert response.status_code == expected, response.content
    if who == "legal_without_perm":
        assert response.json() == {"detail": STAFF_PERMISSION_MESSAGE.format(perm=f"breaches.{perm}")}
    if who == "legal_read_only_token" and writes:
        assert response.json() == {"detail": READ_ONLY_MESSAGE}
    if expected >= 400 or not writes:
        assert _last_audit_id() == before or call == "report"  # the report's preparation is not an audit event
        assert OutboundEmail.objects.count() == emails


# --- list ---------------------------------------------------------------------------------------------------------


def test_list_filters_and_sorts_as_the_dashboard(api, legal, org, other_org):
    # given three incidents: one closed, one with a notice delivered, one with a drafted notice due soonest
    old = make_incident(organisations=[org], actor=legal, title="Old", aware_at=timezone.now() - dt.timedelta(hours=40))
    delivered = make_incident(organisations=[org], actor=legal, title="Delivered", severity="low")
    deliver(breach_notification_send(notification=_notice(delivered, org), actor=legal))
    closed = make_incident(organisations=[other_org], actor=legal, title="Closed")
    BreachIncident.objects.filter(pk=closed.pk).update(status="closed")
    login(api, legal)
    # when / then: by default open or contained, nearest undelivered deadline first (none last)
    body = api.get(_url("api_staff_list")).json()
    assert [row["title"] for row in body["results"]] == ["Old", "Delivered"]
    row = body["results"][0]
    assert row["id"] == str(old.public_id)
    assert row["notice_count"] == row["undelivered_count"] == 1
    assert row["url"] == "http://testserver" + _url("api_staff_detail", old)
    assert row["console_url"] == "http://testserver" + _url("staff_detail", old)
    assert _at(row["nearest_deadline"]) == old.aware_at + dt.timedelta(hours=48)
    assert [r["title"] for r in api.get(_url("api_staff_list"), {"state": "closed"}).json()["results"]] == ["Closed"]
    assert len(api.get(_url("api_staff_list"), {"state": "all"}).json()["results"]) == 3
    assert [r["title"] for r in api.get(_url("api_staff_list"), {"severity": "low"}).json()["results"]] == ["Delivered"]
    assert [r["title"] for r in api.get(_url("api_staff_list"), {"deadline_within_hours": 12}).json()["results"]] == [
        "Old"
    ]
    assert [r["title"] for r in api.get(_url("api_staff_list"), {"sort": "-incident"}).json()["results"]] == [
        "Old",
        "Delivered",
    ]
    assert [r["title"] for r in api.get(_url("api_staff_list"), {"sort": "incident"}).json()["results"]] == [
        "Delivered",
        "Old",
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"state": "gone"}, "state"),
        ({"severity": "huge"}, "severity"),
        ({"sort": "colour"}, "sort"),
        ({"deadline_within_hours": "soon"}, "deadline_within_hours"),
        ({"page_size": "0"}, "page_size"),
    ],
)
def test_list_bad_filter_is_400_with_the_field(api, legal, params, field):
    login(api, legal)
    response = api.get(_url("api_staff_list"), params)
    assert response.status_code == 400
    assert field in response.json()


def test_list_queries_do_not_grow(api, legal, django_assert_max_num_queries):
    orgs = [OrganisationFactory() for _ in range(3)]
    for i in range(12):
        make_incident(organisations=orgs, actor=legal, title=f"Incident {i}")
    api.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(legal)}")
    api.get(_url("api_staff_list"))  # warm the token's last-used write
    with django_assert_max_num_queries(8):
        response = api.get(_url("api_staff_list"))
    assert response.json()["count"] == 12


# --- create --------------------------------------------------------------------------------------------------------


def test_create_records_the_incident_as_the_console(api, legal, org, other_org):
    # given
    login(api, legal)
    # when
    response = api.post(_url("api_staff_list"), _create_body(org), format="json")
    # then
    assert response.status_code == 201, response.content
    incident = BreachIncident.objects.get()
    body = response.json()
    assert body["id"] == str(incident.public_id)
    assert _at(body["aware_at"]) == _at(body["earliest_aware_at"]) == dt.datetime(2026, 6, 1, 8, tzinfo=dt.UTC)
    assert _at(body["deadline"]) == dt.datetime(2026, 6, 3, 8, tzinfo=dt.UTC)
    assert body["awareness_lock"] == "the 48-hour deadline has passed"  # June 2026 is long past
    assert [n["organisation"]["name"] for n in body["notifications"]] == [org.name]
    assert body["notifications"][0]["status"] == "drafted"
    assert _at(body["notifications"][0]["deadline"]) == dt.datetime(2026, 6, 3, 8, tzinfo=dt.UTC)
    assert body["console_url"] == "http://testserver" + _url("staff_detail", incident)
    assert body["contact_point"]["email"]
    assert [b["state"] for b in body["blocks"]] == ["filled"] * 4
    assert incident.created_by == legal
    # the console's events: incident recorded, then a drafted notification (and its obligation)
    actions = _audit_actions()
    assert actions[0] == "breach.incident_created"
    assert "breach.notification_created" in actions
    assert AuditEvent.objects.get(action="breach.incident_created").actor_label == legal.email
    assert [e["action"] for e in body["timeline"]] == [a for a in actions if a.startswith("breach.")]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"aware_at": "not a date"}, "aware_at", "Datetime has wrong format"),
        ({"aware_at": "2099-01-01T10:00:00Z"}, "aware_at", AWARE_IN_FUTURE),
        ({"organisations": []}, "organisations", NO_ORGANISATIONS),
        ({"organisations": ["not-a-uuid"]}, "organisations", "“not-a-uuid” is not a valid UUID."),
        ({"title": ""}, "title", "This field may not be blank."),
        ({"title": "Line\nbreak"}, "title", ""),
        ({"severity": "huge"}, "severity", "is not a valid choice."),
        ({"scope": "subprocessor"}, "subprocessor", SUBPROCESSOR_REQUIRED),
        ({"nature": "x" * 5}, "nature", NATURE_TOO_SHORT),
    ],
)
def test_create_bad_input_is_400_and_changes_nothing(api, legal, org, change, field, message):
    login(api, legal)
    response = api.post(_url("api_staff_list"), _create_body(org, **change), format="json")
    assert response.status_code == 400
    assert message in str(response.json()[field])
    assert BreachIncident.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_create_requires_the_console_fields(api, legal):
    login(api, legal)
    response = api.post(_url("api_staff_list"), {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"title", "aware_at", "severity", "scope"}


def test_create_is_idempotent_with_a_key(api, legal, org):
    api.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(legal)}")
    first = api.post(_url("api_staff_list"), _create_body(org), format="json", HTTP_IDEMPOTENCY_KEY="inc-1")
    again = api.post(_url("api_staff_list"), _create_body(org), format="json", HTTP_IDEMPOTENCY_KEY="inc-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert BreachIncident.objects.count() == 1


# --- update ---------------------------------------------------------------------------------------------------------


def test_update_fields_and_awareness_as_the_console(api, legal, org):
    # given
    incident = make_incident(organisations=[org], actor=legal, aware_at=timezone.now() - dt.timedelta(hours=5))
    login(api, legal)
    url = _url("api_staff_detail", incident)
    earlier = incident.aware_at - dt.timedelta(hours=2)
    # when: an earlier awareness time without a reason
    response = api.patch(url, {"aware_at": earlier.isoformat(), "severity": "critical"}, format="json")
    # then: refused with the console's message, nothing changed
    assert response.status_code == 400
    assert response.json() == {"awareness_reason": [AWARE_REASON_REQUIRED]}
    assert BreachIncident.objects.get().severity == "high"
    # when: with a reason
    response = api.patch(
        url,
        {"aware_at": earlier.isoformat(), "severity": "critical", "awareness_reason": "Alert seen earlier."},
        format="json",
    )
    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["severity"] == "critical"
    change = BreachAwarenessChange.objects.get()
    assert change.reason == "Alert seen earlier."
    assert change.changed_by_label == legal.email
    assert body["awareness_changes"][0]["reason"] == "Alert seen earlier."
    assert body["awareness_changes"][0]["changed_by"] == legal.email
    assert _notice(incident, org).deadline == earlier + dt.timedelta(hours=48)
    actions = [a for a in _audit_actions() if a.startswith("breach.")]
    assert actions[-2:] == ["breach.incident_updated", "breach.awareness_changed"]  # as the console's edit form


def test_update_later_awareness_after_a_notice_went_out_is_refused(api, legal, org):
    incident = make_incident(organisations=[org], actor=legal, aware_at=timezone.now() - dt.timedelta(hours=5))
    breach_notification_send(notification=_notice(incident, org), actor=legal)
    login(api, legal)
    before = _last_audit_id()
    response = api.patch(
        _url("api_staff_detail", incident),
        {"aware_at": (incident.aware_at + dt.timedelta(hours=1)).isoformat(), "awareness_reason": "Wrong hour."},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"aware_at": [AWARE_LOCKED.format(why=AWARE_LOCKED_SENT)]}
    assert BreachIncident.objects.get().aware_at == incident.aware_at
    assert _last_audit_id() == before
    assert api.get(_url("api_staff_detail", incident)).json()["awareness_lock"] == AWARE_LOCKED_SENT


@pytest.mark.parametrize(
    ("body", "field"),
    [({"status": "gone"}, "status"), ({"nature": "short"}, "nature"), ({"aware_at": "yesterday"}, "aware_at")],
)
def test_update_bad_input_is_400_and_changes_nothing(api, legal, org, body, field):
    incident = make_incident(organisations=[org], actor=legal)
    login(api, legal)
    before = _last_audit_id()
    response = api.patch(_url("api_staff_detail", incident), body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert _last_audit_id() == before


def test_unknown_incident_is_404(api, legal):
    login(api, legal)
    missing = "00000000-0000-0000-0000-000000000000"
    assert api.get(reverse("breaches:api_staff_detail", args=[missing])).status_code == 404
    assert api.post(reverse("breaches:api_staff_send", args=[missing]), {}, format="json").status_code == 404


# --- send, follow-up, resend, organisations ------------------------------------------------------------------------


def test_send_with_a_key_queues_one_set_of_notices(api, legal, org, other_org, django_capture_on_commit_callbacks):
    # given
    incident = make_incident(organisations=[org, other_org], actor=legal, pending=("measures",))
    api.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(legal)}")
    url = _url("api_staff_send", incident)
    # when: the same request twice with one key
    first = api.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="send-1")
    again = api.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="send-1")
    # then: one set of notices in the outbox
    assert first.status_code == again.status_code == 200, first.content
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert [n["status"] for n in first.json()["queued"]] == ["queued", "queued"]
    assert OutboundEmail.objects.filter(template="breach_notice").count() == 2
    assert AuditEvent.objects.filter(action="breach.notification_queued").count() == 2
    # without a key a second send is what the console answers: nothing left to send
    response = api.post(url, {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": NOTHING_TO_SEND}
    assert OutboundEmail.objects.filter(template="breach_notice").count() == 2


def test_send_one_notification_and_refusals(api, legal, org, other_org):
    incident = make_incident(organisations=[org, other_org], actor=legal, empty=("data",))
    login(api, legal)
    url = _url("api_staff_send", incident)
    # a block empty: the console's message, nothing queued
    response = api.post(url, {}, format="json")
    assert response.status_code == 400
    assert "(ii) Affected data and approximate number of records" in response.json()["detail"]
    assert api.post(url, {"notification": "nope"}, format="json").status_code == 400
    stray = make_incident(organisations=[org], actor=legal).notifications.get()
    assert api.post(url, {"notification": str(stray.public_id)}, format="json").status_code == 404
    assert OutboundEmail.objects.count() == 0
    # filled: one notification only
    api.patch(_url("api_staff_detail", incident), {"data": "Email addresses, 40,000 records."}, format="json")
    response = api.post(url, {"notification": str(_notice(incident, org).public_id)}, format="json")
    assert response.status_code == 200
    assert [n["organisation"]["name"] for n in response.json()["queued"]] == [org.name]
    assert _notice(incident, other_org).status == "drafted"


def test_followup(api, legal, org, other_org):
    incident = make_incident(organisations=[org, other_org], actor=legal)
    login(api, legal)
    url = _url("api_staff_followup", incident)
    assert api.post(url, {"message": "Update."}, format="json").json() == {"detail": NOT_SENT_YET}
    breach_notification_send(notification=_notice(incident, org), actor=legal)
    response = api.post(url, {"message": ""}, format="json")
    assert response.status_code == 400
    assert response.json() == {"message": ["This field may not be blank."]}
    response = api.post(url, {"message": "Keys rotated."}, format="json", HTTP_IDEMPOTENCY_KEY="f-1")
    assert response.status_code == 201
    assert response.json()["number"] == 1
    assert [f["organisation"]["name"] for f in response.json()["queued"]] == [org.name]
    api.post(url, {"message": "Keys rotated."}, format="json", HTTP_IDEMPOTENCY_KEY="f-1")
    assert AuditEvent.objects.filter(action="breach.followup_queued").count() == 1
    detail = api.get(_url("api_staff_detail", incident)).json()
    assert detail["notifications"][0]["followups"][0]["message"] == "Keys rotated."


def test_resend_a_failed_notice(api, legal, org, settings):
    incident = make_incident(organisations=[org], actor=legal)
    failed = _fail(_notice(incident, org), settings, legal)
    login(api, legal)
    detail = api.get(_url("api_staff_detail", incident)).json()
    assert detail["notifications"][0]["outcome"] == "failed"
    assert "SMTPServerDisconnected" in detail["notifications"][0]["failure_reason"]
    url = _url("api_staff_resend", incident, failed.public_id)
    assert api.post(url, {"to": "not an address"}, format="json").json() == {"to": ["Enter a valid email address."]}
    response = api.post(url, {"to": "soc@acme-backup.example"}, format="json")
    assert response.status_code == 200
    assert response.json()["recipient_email"] == "soc@acme-backup.example"
    assert response.json()["status"] == "queued"
    assert AuditEvent.objects.get(action="breach.notification_resent").actor_label == legal.email
    again = api.post(url, {"to": "soc@acme-backup.example"}, format="json")
    assert again.status_code == 400
    assert "Only a notification whose delivery failed can be sent again." in again.json()["detail"]


def test_add_organisations(api, legal, org, other_org):
    incident = make_incident(organisations=[org], actor=legal)
    login(api, legal)
    url = _url("api_staff_add_organisations", incident)
    assert api.post(url, {"scope": "selected"}, format="json").json() == {"organisations": [NO_ORGANISATIONS]}
    response = api.post(url, {"scope": "all"}, format="json")
    assert response.status_code == 201
    assert [n["organisation"]["name"] for n in response.json()["added"]] == [other_org.name]
    assert BreachIncident.objects.get().scope == "all"


# --- report ---------------------------------------------------------------------------------------------------------


def test_report_is_prepared_then_served(api, legal, org, django_capture_on_commit_callbacks):
    incident = make_incident(organisations=[org], actor=legal)
    api.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(legal)}")
    url = _url("api_staff_report", incident)
    with django_capture_on_commit_callbacks(execute=True):
        first = api.get(url, HTTP_ACCEPT="*/*")  # curl's default: still JSON, not the browser's page
    assert first.status_code == 202
    assert first["Retry-After"]
    assert first["Content-Type"] == "application/json"
    assert first.json()["status_url"] == "http://testserver" + url
    response = api.get(url, HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert incident.title in pdf_text(response.content)
    assert AuditEvent.objects.filter(action="report.issued").count() == 1


# --- customer acknowledgement ---------------------------------------------------------------------------------------


def test_customer_acknowledges_through_the_api(api, legal, org, other_org, member, other_member):
    incident = make_incident(organisations=[org, other_org], actor=legal)
    n = deliver(breach_notification_send(notification=_notice(incident, org), actor=legal))
    queued = breach_notification_send(notification=_notice(incident, other_org), actor=legal)
    url = _url("api_acknowledge", None, n.public_id)
    assert api.post(url).status_code == 401
    # another organisation's member, and a notice not delivered: 404
    api.credentials(HTTP_AUTHORIZATION=f"Token {user_token(other_member)}")
    assert api.post(url).status_code == 404
    assert api.post(_url("api_acknowledge", None, queued.public_id)).status_code == 404
    # read-only token: refused
    api.credentials(HTTP_AUTHORIZATION=f"Token {user_token(member, scope='read')}")
    assert api.post(url).status_code == 403
    assert _notice(incident, org).acknowledged_at is None
    # a member: recorded once, as from the portal page
    api.credentials(HTTP_AUTHORIZATION=f"Token {user_token(member)}")
    response = api.post(url)
    assert response.status_code == 200
    assert response.json()["acknowledged_via"] == "portal"
    assert response.json()["acknowledged_by"] == member.email
    assert api.post(url).json()["acknowledged_at"] == response.json()["acknowledged_at"]
    assert AuditEvent.objects.filter(action="breach.notification_acknowledged").count() == 1


# --- a whole breach through the API only, against the console -------------------------------------------------------


def _console_breach(client, legal, org, member, capture):
    login(client, legal)
    data = {
        "title": "Console breach",
        "aware_at": timezone.localtime(timezone.now() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "severity": "high",
        "scope": "selected",
        "organisations": [org.pk],
        **FILLED,
    }
    assert client.post(reverse("breaches:staff_new"), data).status_code == 302
    incident = BreachIncident.objects.get(title="Console breach")
    with capture(execute=True):  # the outbox delivers after commit
        assert client.post(_url("staff_send", incident)).status_code == 302
    n = _notice(incident, org)
    assert n.status == "delivered"
    login(client, member)
    assert client.post(reverse("breaches:notification_detail", args=[org.public_id, n.public_id])).status_code == 302
    login(client, legal)
    report = get_prepared(client, _url("staff_report", incident), capture)
    assert report.status_code == 200
    return incident


def _api_breach(legal, org, member, capture):
    staff, customer = APIClient(), APIClient()
    staff.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(legal)}")
    customer.credentials(HTTP_AUTHORIZATION=f"Token {user_token(member)}")
    body = _create_body(org, title="API breach", aware_at=(timezone.now() - dt.timedelta(hours=1)).isoformat())
    created = staff.post(_url("api_staff_list"), body, format="json", HTTP_IDEMPOTENCY_KEY="record")
    assert created.status_code == 201
    incident = BreachIncident.objects.get(public_id=created.json()["id"])
    with capture(execute=True):
        sent = staff.post(_url("api_staff_send", incident), {}, format="json", HTTP_IDEMPOTENCY_KEY="send")
    assert sent.status_code == 200
    notification = staff.get(_url("api_staff_detail", incident)).json()["notifications"][0]
    assert notification["outcome"] == "delivered_on_time"
    assert notification["delivered_message_id"]
    ack = customer.post(_url("api_acknowledge", None, notification["id"]), HTTP_IDEMPOTENCY_KEY="ack")
    assert ack.status_code == 200
    with capture(execute=True):
        assert staff.get(_url("api_staff_report", incident)).status_code == 202
    report = staff.get(_url("api_staff_report", incident))
    assert report.status_code == 200
    assert report.content.startswith(b"%PDF")
    detail = staff.get(_url("api_staff_detail", incident)).json()
    assert detail["acknowledged_count"] == 1
    assert detail["notifications"][0]["outcome"] == "acknowledged"
    return incident


def test_a_whole_breach_through_the_api_writes_the_console_audit_trail(
    client, legal, org, member, django_capture_on_commit_callbacks
):
    # given the console's trail of a whole breach
    start = _last_audit_id()
    _console_breach(client, legal, org, member, django_capture_on_commit_callbacks)
    console = list(AuditEvent.objects.filter(id__gt=start).order_by("id"))
    middle = _last_audit_id()
    # when the same breach runs through the API only
    _api_breach(legal, org, member, django_capture_on_commit_callbacks)
    api_trail = list(AuditEvent.objects.filter(id__gt=middle).order_by("id"))
    # then the same actions, by the same people
    assert [e.action for e in api_trail] == [e.action for e in console]
    assert [e.actor_label for e in api_trail] == [e.actor_label for e in console]
    assert [e.action for e in api_trail] == [
        "breach.incident_created",
        "obligation.created",
        "breach.notification_created",
        "breach.notification_queued",
        "obligation.completed",
        "breach.notification_delivered",
        "breach.notification_acknowledged",
        "report.issued",
        "report.downloaded",
    ]


def test_customer_org_member_cannot_read_staff_data(api, legal, org):
    incident = make_incident(organisations=[org], actor=legal)
    member = MembershipFactory(organisation=org, role="admin").user
    login(api, member)
    assert api.get(_url("api_staff_detail", incident)).status_code == 403


def test_detail_queries_do_not_grow_with_notifications(api, legal):
    def world(n):
        orgs = [OrganisationFactory() for _ in range(n)]
        incident = make_incident(organisations=orgs, actor=legal, pending=("measures",))
        for org in orgs[:2]:
            deliver(breach_notification_send(notification=_notice(incident, org), actor=legal))
        return incident

    small, large = world(2), world(8)
    api.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(legal)}")
    api.get(_url("api_staff_list"))  # warm the token's last-used write
    counts = []
    for incident in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert api.get(_url("api_staff_detail", incident)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
