"""Journey 4: an enterprise admin requests a signed DPA, the signatory signs from the emailed link, legal
countersigns, and the customer downloads the executed PDF and verifies it on the public verify page."""

import hashlib
from pathlib import Path

import pytest

from dpa.signing.models import DpaExecution
from portal.delivery.models import OutboundEmail
from portal.organisations.models import Membership
from tests.browser.helpers import emailed_path, sign_in
from tests.organisations.factories import MembershipFactory, UserFactory, make_legal
from tests.signing.factories import published_version

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_request_sign_countersign_download_and_verify(live_server, page, screenshot, axe):
    page.set_default_timeout(20_000)
    published_version(label="2026.1")
    legal = make_legal(UserFactory(email="counsel@processor.example"))
    admin = MembershipFactory(
        user__email="anna@acme.example", organisation__name="Acme Health B.V.", role=Membership.Role.ADMIN
    )
    org = admin.organisation

    # the enterprise admin requests a signed DPA from the organisation page
    sign_in(page, live_server, admin.user)
    page.goto(f"{live_server.url}/org/{org.public_id}/")
    page.get_by_role("link", name="Request a signed DPA").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Request a signed DPA").is_visible()
    screenshot("journey4-dpa-request")
    assert axe("DPA request form") == []
    page.get_by_label("Signatory's full name").fill("Ines de Vries")
    page.get_by_label("Signatory's title").fill("Managing Director")
    page.get_by_label("Signatory's email").fill("ines@acme.example")
    page.get_by_role("button", name="Send the signing link").click()
    page.wait_for_load_state()
    execution = DpaExecution.objects.get(organisation=org)
    assert execution.status == DpaExecution.Status.AWAITING_SIGNATORY

    # the signatory signs from the link in their email, without an account
    page.context.clear_cookies()
    link = OutboundEmail.objects.get(to_email="ines@acme.example")
    page.goto(live_server.url + emailed_path(link, "/dpa/sign/"))
    assert page.get_by_role("heading", name="Data Processing Agreement for Acme Health B.V.").is_visible()
    page.get_by_label("Type your full name to sign").fill("Ines de Vries")
    page.get_by_label("I confirm that I am authorised").check()
    page.get_by_role("button", name="Sign the DPA").click()
    page.wait_for_load_state()
    assert page.get_by_text("Thank you, you signed the DPA.").is_visible()

    # legal countersigns
    sign_in(page, live_server, legal)
    page.goto(f"{live_server.url}/staff/dpa/executions/{execution.public_id}/")
    assert page.get_by_role("heading", name="DPA 2026.1 with Acme Health B.V.").is_visible()
    screenshot("journey4-staff-countersign")
    assert axe("staff countersign page") == []
    page.get_by_label("Type your full name to countersign").fill("Carla Counsel")
    page.get_by_label("Your title").fill("General Counsel")
    page.get_by_label("I confirm that I am authorised").check()
    page.get_by_role("button", name="Countersign and execute").click()
    page.wait_for_load_state()
    execution.refresh_from_db()
    assert execution.status == DpaExecution.Status.EXECUTED

    # the admin downloads the executed PDF from the organisation page
    page.context.clear_cookies()
    sign_in(page, live_server, admin.user)
    page.goto(f"{live_server.url}/org/{org.public_id}/")
    screenshot("journey4-organisation-executed")
    assert axe("organisation page with an executed DPA") == []
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the executed DPA (PDF)").click()
    path = info.value.path()
    content = Path(path).read_bytes()
    assert content.startswith(b"%PDF")
    assert hashlib.sha256(content).hexdigest() == execution.executed_sha256

    # and verifies the file on the public verify page
    page.goto(f"{live_server.url}/dpa/verify/")
    page.get_by_label("PDF issued by this portal").set_input_files(path)
    page.get_by_role("button", name="Verify").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="This is an executed DPA").is_visible()
    assert page.get_by_text(execution.executed_sha256).is_visible()
    screenshot("journey4-verified")
    assert axe("verify page with a result") == []
