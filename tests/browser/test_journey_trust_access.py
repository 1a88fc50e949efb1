"""Journey 2: a new user signs up, verifies their email, requests trust-portal access accepting the NDA;
legal staff (with MFA) approve at NDA level; the user downloads a document stamped with their email."""

import pytest
from django.utils import timezone
from pypdf import PdfReader

from portal.deadlines.calendar import local_date
from portal.delivery.models import OutboundEmail
from portal.trust import documents as docs
from portal.trust.models import AccessRequest
from tests.browser.helpers import emailed_path, sign_in
from tests.organisations.factories import UserFactory, make_legal
from tests.trust.factories import NdaVersionFactory, pdf_upload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_signup_verify_request_access_approval_and_stamped_download(live_server, page, screenshot, axe):
    # given a published NDA and an NDA-level security report
    legal = make_legal(UserFactory(email="counsel@processor.example"))
    NdaVersionFactory()
    docs.document_create(
        title="Penetration test report",
        category="other",
        access_level="nda",
        upload=pdf_upload("pentest.pdf", ["pentest findings"]),
        version="1.0",
        actor=legal,
    )

    # a visitor signs up
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/accounts/signup/")
    screenshot("journey2-signup")
    assert axe("signup page") == []
    page.get_by_label("Email").fill("priya@clinic.example")
    page.get_by_label("Password:", exact=True).fill("a-long enough passphrase 42")
    page.get_by_label("Password (again)").fill("a-long enough passphrase 42")
    page.get_by_role("button", name="Sign Up").click()
    page.wait_for_load_state()
    assert "/accounts/confirm-email/" in page.url

    # verifies the address from the emailed link
    verification = OutboundEmail.objects.get(to_email="priya@clinic.example")
    page.goto(live_server.url + emailed_path(verification, "/accounts/confirm-email/"))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state()

    # opens the trust portal: the report is locked
    page.goto(f"{live_server.url}/trust/")
    assert page.locator("header").get_by_text("priya@clinic.example").is_visible()
    screenshot("journey2-trust-home-locked")
    assert axe("trust portal, signed in without access") == []
    page.get_by_role("link", name="Request access").first.click()
    page.wait_for_load_state()

    # requests access, accepting the NDA
    assert page.get_by_role("heading", name="Request access to the documents").is_visible()
    screenshot("journey2-access-request")
    assert axe("access request form") == []
    page.get_by_label("Company", exact=True).fill("Clinic Group B.V.")
    page.get_by_label("Your role").fill("Privacy officer")
    page.get_by_label("Reason").fill("Vendor assessment before renewal")
    page.get_by_label("I have read and accept the NDA").check()
    page.get_by_role("button", name="Send request").click()
    page.wait_for_load_state()
    assert page.get_by_text("Request received.").is_visible()
    screenshot("journey2-access-pending")
    assert axe("access status, pending") == []
    request = AccessRequest.objects.get(user__email="priya@clinic.example")
    assert request.status == AccessRequest.Status.PENDING
    assert request.nda_user_agent  # the real browser's

    # legal staff, signed in with MFA set up, approve at NDA level from the queue (same browser, new session)
    page.context.clear_cookies()
    sign_in(page, live_server, legal)
    page.goto(f"{live_server.url}/staff/access/")
    screenshot("journey2-staff-queue")
    assert axe("staff access queue") == []
    page.get_by_role("link", name="priya@clinic.example").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name=f"Access request {request.reference}").is_visible()
    screenshot("journey2-staff-decision")
    assert axe("staff access decision") == []
    page.get_by_label("Access level").select_option("nda")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_load_state()
    assert page.get_by_text(f"Approved {request.reference}").is_visible()
    request.refresh_from_db()
    assert (request.status, request.level) == (AccessRequest.Status.APPROVED, "nda")
    approval = OutboundEmail.objects.filter(to_email="priya@clinic.example").latest("pk")
    assert "approved" in approval.subject.lower()

    # the user, signed in again, follows the emailed link and downloads the stamped report
    page.context.clear_cookies()
    sign_in(page, live_server, request.user)
    page.goto(live_server.url + emailed_path(approval, "/trust/"))
    assert page.get_by_text("Penetration test report").first.is_visible()
    page.goto(f"{live_server.url}/trust/")
    screenshot("journey2-trust-home-open")
    assert axe("trust portal with NDA access") == []
    with page.expect_download() as info:
        page.get_by_role("link", name="Download PDF of Penetration test report").click()
    download = info.value
    reader = PdfReader(download.path())
    today = local_date(timezone.now()).isoformat()
    for pdf_page in reader.pages:
        text = pdf_page.extract_text()
        assert "pentest findings" in text
        assert f"downloaded by priya@clinic.example on {today}" in text
    assert len(reader.pages) == 2
