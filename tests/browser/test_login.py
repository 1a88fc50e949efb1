import pytest

from tests.organisations.factories import PASSWORD, MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_sign_in_through_the_real_login_page(live_server, page, screenshot, axe):
    # given a customer with a verified email
    membership = MembershipFactory(user__email="anna@acme.example", organisation__name="Acme Health B.V.", role="admin")
    # when they sign in through the login form
    page.goto(f"{live_server.url}/accounts/login/")
    screenshot("login-page")
    assert axe("login page") == []
    page.get_by_label("Email").fill("anna@acme.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_load_state()
    # then the header shows them signed in and their organisation page works
    assert page.locator("header").get_by_text("anna@acme.example").is_visible()
    page.get_by_role("link", name="Organisation").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name=membership.organisation.name).is_visible()
    screenshot("organisation-page")
    assert axe("organisation page") == []


def test_the_accessibility_check_reports_real_violations(live_server, page, axe):
    """Guard against a check that cannot fail: an image without alt text is a critical violation."""
    page.goto(f"{live_server.url}/")
    page.evaluate("() => { const i = document.createElement('img'); i.src = '/x.png'; document.body.append(i); }")
    assert any("image-alt" in v for v in axe("home with a bad image"))
