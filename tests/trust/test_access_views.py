import datetime as dt
import re
import uuid
from urllib.parse import unquote

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.delivery.models import OutboundEmail
from portal.trust import documents as docs
from portal.trust.models import AccessRequest, AutoApprovalRule
from tests.auth import login
from tests.organisations.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.trust.factories import AccessRequestFactory, grant, pdf_upload

STAFF_PAGES = ["trust:staff_queue", "trust:staff_rules", "trust:staff_nda_versions", "trust:staff_documents"]


@pytest.fixture
def non_legal_staff(db):
    return UserFactory(email="support@processor.example", is_staff=True)


# --- Request form -------------------------------------------------------------------------------


def test_request_form_needs_login(client, nda):
    response = client.get(reverse("trust:access_request"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_request_form_shows_nda_and_submits(client, nda, legal):
    user = UserFactory()
    login(client, user)
    page = client.get(reverse("trust:access_request"))
    assert page.status_code == 200
    assert nda.body in page.content.decode()
    response = client.post(
        reverse("trust:access_request"),
        {
            "company": "Globex",
            "job_role": "CISO",
            "reason": "Assessment",
            "nda_version": nda.version,
            "accept_nda": "on",
        },
        HTTP_USER_AGENT="Firefox/140",
        REMOTE_ADDR="192.0.2.44",
    )
    assert response.status_code == 302
    req = AccessRequest.objects.get(user=user)
    assert (req.nda_ip, req.nda_user_agent, req.nda_version) == ("192.0.2.44", "Firefox/140", nda)
    assert OutboundEmail.objects.filter(template="access_acknowledged", to_email=user.email).count() == 1
    # A second visit goes to the status page: one pending request per user.
    assert client.get(reverse("trust:access_request"))["Location"] == reverse("trust:access_status")


def test_request_without_nda_acceptance_is_a_form_error(client, nda):
    login(client, UserFactory())
    response = client.post(
        reverse("trust:access_request"),
        {"company": "Globex", "job_role": "CISO", "reason": "x", "nda_version": nda.version},
    )
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not AccessRequest.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_request_against_outdated_nda_is_a_form_error(client, nda):
    login(client, UserFactory())
    response = client.post(
        reverse("trust:access_request"),
        {"company": "Globex", "job_role": "CISO", "reason": "x", "nda_version": "1999", "accept_nda": "on"},
    )
    assert response.status_code == 400
    assert "The NDA was updated" in response.content.decode()
    assert not AccessRequest.objects.exists()


def test_request_with_another_users_organisation_is_refused(client, nda, org):
    user = UserFactory()
    MembershipFactory(user=user, organisation=OrganisationFactory(name="Mine"))
    login(client, user)
    response = client.post(
        reverse("trust:access_request"),
        {"organisation": org.pk, "job_role": "CISO", "reason": "x", "nda_version": nda.version, "accept_nda": "on"},
    )
    assert response.status_code == 400
    assert not AccessRequest.objects.exists()


# --- Status page --------------------------------------------------------------------------------


def test_status_page_pending_then_contact_support_after_chase_after(client, submit):
    user = UserFactory()
    with time_machine.travel(dt.datetime(2026, 11, 17, 9, 0, tzinfo=dt.UTC), tick=False):
        req = submit(user)
    login(client, user)
    with time_machine.travel(dt.datetime(2026, 11, 19, 22, 59, tzinfo=dt.UTC), tick=False):
        page = client.get(reverse("trust:access_status")).content.decode()
        assert "by Thursday 19 November 2026" in page
        assert "Contact support" not in page
    with time_machine.travel(dt.datetime(2026, 11, 19, 23, 0, tzinfo=dt.UTC), tick=False):
        page = client.get(reverse("trust:access_status")).content.decode()
    assert "Contact support" in page
    link = unquote(re.search(r'href="(mailto:[^"]+)"', page).group(1)).replace("&amp;", "&")
    assert link.startswith("mailto:support@portal.example?subject=")
    assert req.reference in link
    assert user.email in link


@pytest.mark.parametrize(
    ("status", "text"),
    [
        ("denied", "Not a customer yet"),
        ("expired", "Expired"),
        ("revoked", "Left the company"),
    ],
)
def test_status_page_shows_outcomes(client, nda, status, text):
    user = UserFactory()
    now = timezone.now()
    AccessRequestFactory(
        user=user,
        nda_version=nda,
        status=status,
        denial_reason="Not a customer yet" if status == "denied" else "",
        level="nda" if status != "denied" else "",
        expires_at=now - dt.timedelta(days=1) if status != "denied" else None,
        ended_at=now,
        end_reason="Left the company" if status == "revoked" else "",
    )
    login(client, user)
    page = client.get(reverse("trust:access_status"))
    assert page.status_code == 200
    assert text in page.content.decode()


def test_status_page_approved_lists_available_documents(client, legal, nda):
    doc = docs.document_create(
        title="TOMs", category="toms", access_level="approved", upload=pdf_upload(), version="3", actor=legal
    )
    docs.document_create(
        title="Pentest", category="pentest", access_level="nda", upload=pdf_upload(), version="1", actor=legal
    )
    user = UserFactory()
    g = grant(user, "approved")
    login(client, user)
    page = client.get(reverse("trust:access_status")).content.decode()
    assert reverse("trust:document_file", args=[doc.public_id]) in page
    assert "Pentest" not in page
    assert g.expires_at.astimezone(timezone.get_current_timezone()).strftime("%Y") in page


# --- Trust home ---------------------------------------------------------------------------------


def test_trust_home_shows_open_and_locked_documents(client, legal, django_assert_max_num_queries):
    for level in ("public", "approved", "nda", "enterprise"):
        docs.document_create(
            title=f"Doc {level}", category="other", access_level=level, upload=pdf_upload(), version="1", actor=legal
        )
    with django_assert_max_num_queries(6):
        page = client.get(reverse("trust:home")).content.decode()
    assert page.count("Download PDF") == 1
    assert "Request access under NDA" in page
    assert "Enterprise plan required" in page
    user = UserFactory()
    MembershipFactory(user=user, organisation=OrganisationFactory(tier="self_serve"))
    grant(user, "nda")
    login(client, user)
    page = client.get(reverse("trust:home")).content.decode()
    assert page.count("Download PDF") == 3
    assert "Enterprise plan required" in page


# --- Staff pages: permissions -------------------------------------------------------------------


@pytest.mark.parametrize("name", STAFF_PAGES)
def test_staff_pages_refuse_outsiders(client, name, member, non_legal_staff, legal_no_mfa):
    url = reverse(name)
    assert client.get(url).status_code == 302  # anonymous → login
    login(client, member)
    assert client.get(url).status_code == 403
    assert client.post(url, {}).status_code == 403
    # Django-staff users outside the legal group are sent to MFA set-up by the middleware, then refused.
    login(client, non_legal_staff)
    assert client.get(url).status_code in (302, 403)
    assert client.post(url, {}).status_code in (302, 403)
    login(client, legal_no_mfa)
    assert client.get(url).status_code == 302  # to MFA set-up


def test_staff_detail_and_bulk_refuse_outsiders(client, member, non_legal_staff, nda):
    req = AccessRequestFactory(nda_version=nda)
    detail = reverse("trust:staff_detail", args=[req.public_id])
    for user in (member, non_legal_staff):
        login(client, user)
        assert client.get(detail).status_code in (302, 403)
        assert client.post(detail, {"action": "approve", "level": "nda"}).status_code in (302, 403)
        bulk = client.post(reverse("trust:staff_bulk_approve"), {"selected": [req.public_id], "level": "nda"})
        assert bulk.status_code in (302, 403)
        assert req.user.email not in client.get(detail).content.decode()
    assert AccessRequest.objects.get(pk=req.pk).status == "pending"


# --- Staff queue and decisions ------------------------------------------------------------------


def test_queue_oldest_first_with_overdue_highlight(client, legal, nda, django_assert_max_num_queries):
    now = timezone.now()
    old = AccessRequestFactory(nda_version=nda, submitted_at=now - dt.timedelta(days=6))
    old.due_at = now - dt.timedelta(days=1)
    old.save()
    for _ in range(15):
        AccessRequestFactory(nda_version=nda, organisation=OrganisationFactory())
    login(client, legal)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("trust:staff_queue"))
    page = response.content.decode()
    assert response.status_code == 200
    assert page.index(old.user.email) < page.index("customer")  # oldest listed first
    assert 'class="overdue"' in page
    assert "Overdue" in page


def test_queue_filters(client, legal, nda):
    a = AccessRequestFactory(nda_version=nda, company="Initech")
    b = AccessRequestFactory(nda_version=nda, company="Hooli")
    login(client, legal)
    page = client.get(reverse("trust:staff_queue"), {"q": "initech"}).content.decode()
    assert a.user.email in page
    assert b.user.email not in page


def test_staff_approve_via_page(client, legal, nda):
    req = AccessRequestFactory(nda_version=nda)
    login(client, legal)
    url = reverse("trust:staff_detail", args=[req.public_id])
    day = (timezone.localdate() + dt.timedelta(days=200)).isoformat()
    response = client.post(url, {"action": "approve", "level": "nda", "expires_on": day, "note": "ok"})
    assert response.status_code == 302
    req.refresh_from_db()
    assert (req.status, req.level, timezone.localtime(req.expires_at).date().isoformat()) == ("approved", "nda", day)
    assert AuditEvent.objects.filter(action="access.approved", actor=legal).count() == 1


def test_staff_deny_without_reason_is_a_form_error(client, legal, nda):
    req = AccessRequestFactory(nda_version=nda)
    login(client, legal)
    response = client.post(reverse("trust:staff_detail", args=[req.public_id]), {"action": "deny", "reason": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert AccessRequest.objects.get(pk=req.pk).status == "pending"


def test_staff_cannot_approve_own_request_via_page(client, legal, nda):
    req = AccessRequestFactory(user=legal, nda_version=nda)
    login(client, legal)
    url = reverse("trust:staff_detail", args=[req.public_id])
    assert "your own request" in client.get(url).content.decode()
    day = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    response = client.post(url, {"action": "approve", "level": "nda", "expires_on": day})
    assert response.status_code == 400
    assert AccessRequest.objects.get(pk=req.pk).status == "pending"
    assert not OutboundEmail.objects.exists()


def test_bulk_approve_via_queue(client, legal, nda):
    a, b = AccessRequestFactory(nda_version=nda), AccessRequestFactory(nda_version=nda)
    login(client, legal)
    response = client.post(
        reverse("trust:staff_bulk_approve"), {"selected": [a.public_id, b.public_id], "level": "approved"}
    )
    assert response.status_code == 302
    assert set(AccessRequest.objects.values_list("status", flat=True)) == {"approved"}


def test_staff_revoke_via_page(client, legal, nda):
    user = UserFactory()
    g = grant(user, "nda")
    login(client, legal)
    response = client.post(
        reverse("trust:staff_detail", args=[g.public_id]), {"action": "revoke", "reason": "Contract ended"}
    )
    assert response.status_code == 302
    assert AccessRequest.objects.get(pk=g.pk).status == "revoked"


def test_rules_page_creates_and_toggles(client, legal):
    org = OrganisationFactory(tier="enterprise", email_domain="initech.example")
    login(client, legal)
    assert client.post(reverse("trust:staff_rules"), {"organisation": org.pk, "level": "nda"}).status_code == 302
    rule = AutoApprovalRule.objects.get()
    assert (rule.domain, rule.level, rule.active) == ("initech.example", "nda", True)
    client.post(reverse("trust:staff_rules"), {"toggle": rule.pk})
    rule.refresh_from_db()
    assert rule.active is False
    page = client.post(reverse("trust:staff_rules"), {"organisation": org.pk, "level": "nda"})
    assert page.status_code == 400
    assert "already a rule" in page.content.decode()


def test_staff_document_upload_refuses_non_pdf(client, legal):
    login(client, legal)
    response = client.post(
        reverse("trust:staff_documents"),
        {
            "title": "Policy",
            "category": "other",
            "access_level": "public",
            "version": "1",
            "file": pdf_upload("x.pdf").__class__("x.pdf", b"MZ\x90\x00", content_type="application/pdf"),
        },
    )
    assert response.status_code == 400
    assert "does not start with %PDF-" in response.content.decode()
    assert not AuditEvent.objects.filter(action="document.created").exists()


def test_staff_document_upload_replace_retire(client, legal):
    login(client, legal)
    response = client.post(
        reverse("trust:staff_documents"),
        {"title": "Policy", "category": "other", "access_level": "nda", "version": "1", "file": pdf_upload()},
    )
    assert response.status_code == 302
    from portal.trust.models import TrustDocument

    doc = TrustDocument.objects.get()
    url = reverse("trust:staff_document_detail", args=[doc.public_id])
    assert client.get(url).status_code == 200
    response = client.post(url, {"action": "replace", "replace-version": "2", "replace-file": pdf_upload()})
    assert response.status_code == 302
    assert doc.versions.count() == 2
    assert client.post(url, {"action": "retire"}).status_code == 302
    doc.refresh_from_db()
    assert doc.retired_at is not None


# --- API token page -----------------------------------------------------------------------------


def test_api_token_pages_need_login(client, db):
    assert client.get(reverse("organisations:token")).status_code == 302
    assert client.post(reverse("organisations:token"), {"name": "x", "scope": "read", "days": 30}).status_code == 302
    assert client.post(reverse("organisations:token_revoke", args=[uuid.uuid4()])).status_code == 302
