"""Staff API of access requests, auto-approval rules and NDA versions (portal/trust/api_staff.py): the console's
services, permissions, errors and audit events."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from portal.audit.models import AuditEvent
from portal.delivery.models import OutboundEmail
from portal.trust import services as svc
from portal.trust.models import AccessRequest, AutoApprovalRule, NdaVersion
from tests.auth import login, staff_token
from tests.organisations.factories import OrganisationFactory, UserFactory
from tests.organisations.staff_api import ROLES, act_as, expected_status, legal_without
from tests.trust.factories import AccessRequestFactory, AutoApprovalRuleFactory, grant

REQUESTS = "trust:api_staff_access_requests"
RULES = "trust:api_staff_auto_rules"
NDAS = "trust:api_staff_nda_versions"


@pytest.fixture
def api():
    return APIClient()


def _url(name, req):
    return reverse(f"trust:api_staff_access_request{name}", args=[req.public_id])


def _later(days=90):
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


# --- Access requests: list and read --------------------------------------------------------------


def test_list_shows_pending_first_then_decided_in_a_bounded_number_of_queries(
    api, legal, nda, org, django_assert_max_num_queries
):
    # given
    now = timezone.now()
    denied = AccessRequestFactory(
        nda_version=nda, status="denied", denial_reason="x", submitted_at=now - dt.timedelta(days=9)
    )
    old = AccessRequestFactory(nda_version=nda, organisation=org, submitted_at=now - dt.timedelta(days=5))
    new = AccessRequestFactory(nda_version=nda, submitted_at=now - dt.timedelta(days=1))
    approved = grant(UserFactory(), "nda", organisation=org)
    for _ in range(5):
        AccessRequestFactory(nda_version=nda, status="denied", denial_reason="y", organisation=OrganisationFactory())
    login(api, legal)
    # when
    with django_assert_max_num_queries(12):
        body = api.get(reverse(REQUESTS)).json()
    # then
    ids = [r["id"] for r in body["results"]]
    assert body["count"] == 9
    assert ids[:2] == [str(old.public_id), str(new.public_id)]
    assert ids.index(str(denied.public_id)) > 1
    first = body["results"][0]
    assert first["organisation"] == str(org.public_id)
    assert first["organisation_name"] == org.name
    assert first["console_url"].endswith(f"/staff/access/{old.public_id}/")
    query = lambda **q: [r["id"] for r in api.get(reverse(REQUESTS), q).json()["results"]]  # noqa: E731
    assert query(status="pending") == [str(old.public_id), str(new.public_id)]
    assert query(organisation=str(org.public_id)) == [str(old.public_id), str(approved.public_id)]
    assert query(level="nda") == [str(approved.public_id)]
    assert query(q=approved.user.email) == [str(approved.public_id)]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"status": "maybe"}, "status"), ({"organisation": "acme"}, "organisation"), ({"level": "x"}, "level")],
)
def test_list_bad_filter_is_400_with_the_fields_message(api, legal, params, field):
    login(api, legal)
    response = api.get(reverse(REQUESTS), params)
    assert response.status_code == 400
    assert field in response.json()


def test_read_one_and_unknown_is_404(api, legal, nda):
    req = AccessRequestFactory(nda_version=nda)
    login(api, legal)
    body = api.get(_url("", req)).json()
    assert (body["id"], body["reference"], body["email"], body["status"]) == (
        str(req.public_id),
        req.reference,
        req.user.email,
        "pending",
    )
    assert api.get(reverse("trust:api_staff_access_request", args=[AccessRequest().public_id])).status_code == 404


# --- Decisions ---------------------------------------------------------------------------------------


def test_approve_with_level_expiry_and_note_as_the_console(api, legal, nda):
    # given
    req = AccessRequestFactory(nda_version=nda)
    login(api, legal)
    # when
    response = api.post(
        _url("_approve", req), {"level": "nda", "expires_on": _later(), "note": "Welcome"}, format="json"
    )
    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["level"], body["decided_by"], body["decision_note"]) == (
        "approved",
        "nda",
        legal.email,
        "Welcome",
    )
    req.refresh_from_db()
    assert (req.status, req.level, req.decided_by) == ("approved", "nda", legal)
    assert timezone.localdate(req.expires_at).isoformat() == _later()
    event = AuditEvent.objects.get(action="access.approved")
    assert (event.actor_id, event.details["level"]) == (legal.pk, "nda")
    assert OutboundEmail.objects.filter(template="access_approved", to_email=req.user.email).count() == 1


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"level": "gold"}, "level", None),
        ({"level": "nda", "expires_on": "2001-01-01"}, "expires_on", svc.EXPIRY_IN_PAST),
        ({"level": "nda", "expires_on": "soon"}, "expires_on", None),
    ],
)
def test_approve_bad_input_is_400_and_changes_nothing(api, legal, nda, body, field, message):
    req = AccessRequestFactory(nda_version=nda)
    login(api, legal)
    response = api.post(_url("_approve", req), body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    if message:
        assert response.json()[field] == [message]
    assert AccessRequest.objects.get(pk=req.pk).status == "pending"
    assert not AuditEvent.objects.filter(action__startswith="access.").exists()


def test_approve_own_request_or_a_decided_one_is_the_services_400(api, legal, nda):
    login(api, legal)
    own = AccessRequestFactory(user=legal, nda_version=nda)
    response = api.post(_url("_approve", own), {"level": "nda"}, format="json")
    assert (response.status_code, response.json()) == (400, {"detail": svc.SELF_DECISION})
    decided = AccessRequestFactory(nda_version=nda, status="denied", denial_reason="x")
    response = api.post(_url("_approve", decided), {"level": "nda"}, format="json")
    assert (response.status_code, response.json()) == (400, {"detail": svc.NOT_PENDING})


def test_deny_with_reason_and_without_one(api, legal, nda):
    req = AccessRequestFactory(nda_version=nda)
    login(api, legal)
    refused = api.post(_url("_deny", req), {"reason": "  "}, format="json")
    assert refused.status_code == 400
    assert "reason" in refused.json()
    assert AccessRequest.objects.get(pk=req.pk).status == "pending"
    response = api.post(_url("_deny", req), {"reason": "No NDA on file"}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["denial_reason"]) == ("denied", "No NDA on file")
    event = AuditEvent.objects.get(action="access.denied")
    assert event.actor_id == legal.pk
    assert OutboundEmail.objects.filter(template="access_denied").count() == 1


def test_revoke_approved_access_and_not_pending_one(api, legal, nda):
    active = grant(UserFactory())
    pending = AccessRequestFactory(nda_version=nda)
    login(api, legal)
    refused = api.post(_url("_revoke", pending), {"reason": "Contract ended"}, format="json")
    assert (refused.status_code, refused.json()) == (400, {"detail": svc.NOT_ACTIVE})
    assert api.post(_url("_revoke", active), {"reason": ""}, format="json").status_code == 400
    response = api.post(_url("_revoke", active), {"reason": "Contract ended"}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["end_reason"]) == ("revoked", "Contract ended")
    active.refresh_from_db()
    assert (active.status, active.ended_by) == ("revoked", legal)
    assert AuditEvent.objects.filter(action="access.revoked", actor=legal).count() == 1
    assert OutboundEmail.objects.filter(template="access_revoked").count() == 1


def test_an_approval_retried_with_the_same_key_happens_once(api, legal, nda):
    req = AccessRequestFactory(nda_version=nda)
    api.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(legal)}")
    body = {"level": "approved", "note": "ok"}
    first = api.post(_url("_approve", req), body, format="json", HTTP_IDEMPOTENCY_KEY="approve-1")
    again = api.post(_url("_approve", req), body, format="json", HTTP_IDEMPOTENCY_KEY="approve-1")
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert AuditEvent.objects.filter(action="access.approved").count() == 1
    assert OutboundEmail.objects.filter(template="access_approved").count() == 1


def test_the_first_decision_endpoints_are_deprecated_aliases(api, legal, nda):
    req = AccessRequestFactory(nda_version=nda)
    login(api, legal)
    response = api.post(
        reverse("trust:api_access_request_approve", args=[req.public_id]), {"level": "nda"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["decided_by"] == legal.email
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    assert paths["/api/v1/access-requests/{public_id}/approve"]["post"]["deprecated"] is True
    assert paths["/api/v1/access-requests/{public_id}/deny"]["post"]["deprecated"] is True
    assert not paths["/api/v1/staff/access-requests/{public_id}/approve/"]["post"].get("deprecated")


ACCESS_OPERATIONS = {
    "list": ("get", lambda req: reverse(REQUESTS), None, 200),
    "read": ("get", lambda req: _url("", req), None, 200),
    "approve": ("post", lambda req: _url("_approve", req), {"level": "approved"}, 200),
    "deny": ("post", lambda req: _url("_deny", req), {"reason": "No"}, 200),
    "revoke": ("post", lambda req: _url("_revoke", req), {"reason": "No"}, 200),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", ACCESS_OPERATIONS)
def test_access_request_permission_matrix(api, nda, role, operation, request):
    method, url, body, ok = ACCESS_OPERATIONS[operation]
    req = grant(UserFactory()) if operation == "revoke" else AccessRequestFactory(nda_version=nda)
    before = req.status
    act_as(api, role, request)
    response = getattr(api, method)(url(req), body, format="json")
    assert response.status_code == expected_status(role, ok=ok, write=method == "post")
    changed = AccessRequest.objects.get(pk=req.pk).status != before
    assert changed == (method == "post" and response.status_code == 200)


@pytest.mark.parametrize(
    ("perm", "operation"),
    [
        ("trust.view_accessrequest", "list"),
        ("trust.view_accessrequest", "read"),
        ("trust.decide_accessrequest", "approve"),
    ],
)
def test_legal_without_the_consoles_permission_is_refused(api, legal, nda, perm, operation):
    method, url, body, _ = ACCESS_OPERATIONS[operation]
    req = AccessRequestFactory(nda_version=nda)
    legal_without(perm)
    login(api, legal)
    response = getattr(api, method)(url(req), body, format="json")
    assert response.status_code == 403
    assert perm in response.json()["detail"]
    assert AccessRequest.objects.get(pk=req.pk).status == "pending"


# --- Auto-approval rules -------------------------------------------------------------------------------


@pytest.fixture
def enterprise(db):
    return OrganisationFactory(name="Acme Health", tier="enterprise", email_domain="Acme-Health.example")


def test_rules_list_and_filters(api, legal, enterprise, django_assert_max_num_queries):
    on = AutoApprovalRuleFactory(organisation=enterprise, created_by=legal)
    for i in range(4):
        AutoApprovalRuleFactory(organisation=OrganisationFactory(), domain=f"other{i}.example", active=False)
    login(api, legal)
    with django_assert_max_num_queries(10):
        body = api.get(reverse(RULES)).json()
    assert [r["id"] for r in body["results"]] == ["acme-health.example", *(f"other{i}.example" for i in range(4))]
    first = body["results"][0]
    assert (first["organisation"], first["level"], first["active"], first["created_by"]) == (
        str(enterprise.public_id),
        on.level,
        True,
        legal.email,
    )
    assert [r["id"] for r in api.get(reverse(RULES), {"active": "true"}).json()["results"]] == [on.domain]
    assert api.get(reverse(RULES), {"active": "perhaps"}).status_code == 400


def test_create_a_rule_as_the_console(api, legal, enterprise):
    login(api, legal)
    response = api.post(reverse(RULES), {"organisation": str(enterprise.public_id), "level": "nda"}, format="json")
    assert response.status_code == 201
    assert (response.json()["id"], response.json()["level"]) == ("acme-health.example", "nda")
    rule = AutoApprovalRule.objects.get()
    assert (rule.domain, rule.created_by) == ("acme-health.example", legal)
    event = AuditEvent.objects.get(action="access.rule_created")
    assert event.actor_id == legal.pk


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"tier": "self_serve"}, "organisation", svc.RULE_NOT_ENTERPRISE),
        ({"email_domain": ""}, "organisation", svc.RULE_NO_DOMAIN),
        ({"email_domain": "gmail.com"}, "organisation", svc.RULE_FREEMAIL.format(domain="gmail.com")),
        ({"unknown": True}, "organisation", "Unknown organisation."),
        ({"level": "gold"}, "level", None),
    ],
)
def test_create_rule_bad_input_is_400_and_creates_nothing(api, legal, enterprise, change, field, message):
    fields = {k: v for k, v in change.items() if k in ("tier", "email_domain")}
    type(enterprise).objects.filter(pk=enterprise.pk).update(**fields)
    login(api, legal)
    body = {"organisation": str(OrganisationFactory.build().public_id if "unknown" in change else enterprise.public_id)}
    body["level"] = change.get("level", "approved")
    response = api.post(reverse(RULES), body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    if message:
        assert response.json()[field] == [message]
    assert not AutoApprovalRule.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_rule_created_twice_with_the_same_key_exists_once(api, legal, enterprise):
    api.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(legal)}")
    body = {"organisation": str(enterprise.public_id)}
    first = api.post(reverse(RULES), body, format="json", HTTP_IDEMPOTENCY_KEY="rule-1")
    again = api.post(reverse(RULES), body, format="json", HTTP_IDEMPOTENCY_KEY="rule-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert AutoApprovalRule.objects.count() == 1


def test_disable_and_enable_a_rule(api, legal, enterprise):
    rule = AutoApprovalRuleFactory(organisation=enterprise)
    url = reverse("trust:api_staff_auto_rule", args=[rule.domain])
    login(api, legal)
    assert api.patch(url, {}, format="json").status_code == 400
    assert api.patch(url, {}, format="multipart").status_code == 415  # a form would read no `active` as false
    assert api.patch(url, {"active": "sometimes"}, format="json").status_code == 400
    assert not AuditEvent.objects.exists()
    response = api.patch(url, {"active": False}, format="json")
    assert (response.status_code, response.json()["active"]) == (200, False)
    assert AuditEvent.objects.get(action="access.rule_disabled").actor_id == legal.pk
    assert api.get(url).json()["active"] is False
    api.patch(url, {"active": True}, format="json")
    assert AutoApprovalRule.objects.get().active is True
    assert AuditEvent.objects.filter(action="access.rule_enabled").count() == 1
    assert api.get(reverse("trust:api_staff_auto_rule", args=["nowhere.example"])).status_code == 404


RULE_OPERATIONS = {
    "list": ("get", lambda rule, org: reverse(RULES), None, 200),
    "read": ("get", lambda rule, org: reverse("trust:api_staff_auto_rule", args=[rule.domain]), None, 200),
    "create": ("post", lambda rule, org: reverse(RULES), "create", 201),
    "disable": (
        "patch",
        lambda rule, org: reverse("trust:api_staff_auto_rule", args=[rule.domain]),
        {"active": False},
        200,
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", RULE_OPERATIONS)
def test_rule_permission_matrix(api, db, role, operation, request):
    method, url, body, ok = RULE_OPERATIONS[operation]
    rule = AutoApprovalRuleFactory(organisation=OrganisationFactory(), domain="existing.example")
    org = OrganisationFactory(email_domain="newcomer.example")
    if body == "create":
        body = {"organisation": str(org.public_id)}
    act_as(api, role, request)
    response = getattr(api, method)(url(rule, org), body, format="json")
    assert response.status_code == expected_status(role, ok=ok, write=method != "get")
    changed = AutoApprovalRule.objects.count() == 2 or not AutoApprovalRule.objects.get(pk=rule.pk).active
    assert changed == (method != "get" and response.status_code == ok)


@pytest.mark.parametrize(
    ("perm", "operation"), [("trust.view_autoapprovalrule", "list"), ("trust.change_autoapprovalrule", "disable")]
)
def test_legal_without_the_rules_pages_permission_is_refused(api, legal, perm, operation):
    method, url, body, _ = RULE_OPERATIONS[operation]
    rule = AutoApprovalRuleFactory(organisation=OrganisationFactory(), domain="existing.example")
    legal_without(perm)
    login(api, legal)
    response = getattr(api, method)(url(rule, None), body, format="json")
    assert response.status_code == 403
    assert AutoApprovalRule.objects.get().active is True


# --- NDA versions ----------------------------------------------------------------------------------


NEW_NDA = {"version": "2026-12", "title": "Mutual NDA", "text": "Both parties keep the documents confidential."}


def test_nda_versions_newest_first_with_the_current_one(api, legal, nda, django_assert_max_num_queries):
    older = NdaVersion.objects.create(
        version="2024-01", body="Old", published_at=nda.published_at - dt.timedelta(days=400)
    )
    login(api, legal)
    with django_assert_max_num_queries(10):
        body = api.get(reverse(NDAS)).json()
    assert [(v["id"], v["current"]) for v in body["results"]] == [(nda.version, True), (older.version, False)]
    assert body["results"][0]["text"] == nda.body


def test_publish_a_new_nda_as_the_console(api, legal, nda):
    login(api, legal)
    response = api.post(reverse(NDAS), NEW_NDA, format="json")
    assert response.status_code == 201
    assert (response.json()["id"], response.json()["current"], response.json()["text"]) == (
        "2026-12",
        True,
        NEW_NDA["text"],
    )
    event = AuditEvent.objects.get(action="nda.published")
    assert event.actor_id == legal.pk
    assert event.details == {"version": "2026-12", "previous": nda.version}
    assert [v["id"] for v in api.get(reverse(NDAS)).json()["results"] if v["current"]] == ["2026-12"]


@pytest.mark.parametrize(
    ("change", "field"),
    [({"version": "2026-01"}, "version"), ({"text": " "}, "text"), ({"version": "x" * 21}, "version")],
)
def test_publish_bad_input_is_400_and_publishes_nothing(api, legal, nda, change, field):
    login(api, legal)
    response = api.post(reverse(NDAS), {**NEW_NDA, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert NdaVersion.objects.count() == 1
    assert not AuditEvent.objects.exists()


def test_an_nda_published_twice_with_the_same_key_exists_once(api, legal, nda):
    api.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(legal)}")
    first = api.post(reverse(NDAS), NEW_NDA, format="json", HTTP_IDEMPOTENCY_KEY="nda-1")
    again = api.post(reverse(NDAS), NEW_NDA, format="json", HTTP_IDEMPOTENCY_KEY="nda-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert NdaVersion.objects.count() == 2


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_nda_permission_matrix(api, nda, role, method, request):
    act_as(api, role, request)
    response = getattr(api, method)(reverse(NDAS), NEW_NDA if method == "post" else None, format="json")
    ok = 201 if method == "post" else 200
    assert response.status_code == expected_status(role, ok=ok, write=method == "post")
    assert NdaVersion.objects.filter(version="2026-12").exists() == (method == "post" and response.status_code == 201)


@pytest.mark.parametrize(
    ("perm", "method"), [("trust.view_accessrequest", "get"), ("trust.decide_accessrequest", "post")]
)
def test_legal_without_the_nda_pages_permission_is_refused(api, legal, nda, perm, method):
    legal_without(perm)
    login(api, legal)
    assert getattr(api, method)(reverse(NDAS), NEW_NDA, format="json").status_code == 403
    assert NdaVersion.objects.count() == 1
