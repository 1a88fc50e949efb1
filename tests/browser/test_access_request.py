import pytest

from tests.organisations.factories import PASSWORD, UserFactory
from tests.trust.factories import NdaVersionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_request_access_through_the_form(live_server, page, screenshot, axe):
    # given a signed-in customer and a published NDA
    nda = NdaVersionFactory(body="Keep the documents confidential.")
    UserFactory(email="dpo@globex.example")
    page.goto(f"{live_server.url}/accounts/login/?next=/trust/request/")
    page.get_by_label("Email").fill("dpo@globex.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_load_state()
    # when they fill in the request form, reading and accepting the NDA
    assert page.get_by_text("Keep the documents confidential.").is_visible()
    assert axe("access request form") == []
    page.get_by_label("Company", exact=True).fill("Globex GmbH")
    page.get_by_label("Your role").fill("Data protection officer")
    page.get_by_label("Reason").fill("Vendor assessment before signing")
    page.get_by_label("I have read and accept the NDA").check()
    screenshot("access-request-form")
    page.get_by_role("button", name="Send request").click()
    page.wait_for_load_state()
    # then the status page shows the pending request and when to expect a decision
    assert page.get_by_role("heading", name="Your access requests").is_visible()
    assert page.get_by_text("Expected decision").is_visible()
    assert page.get_by_text(f"version {nda.version}").first.is_visible()
    screenshot("access-status-pending")
    assert axe("access status page") == []
    page.get_by_role("link", name="Documents").first.click()
    page.wait_for_load_state()
    assert axe("trust documents page") == []
