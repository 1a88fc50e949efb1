"""The customer home in a browser: the summary, in-page navigation, the Object button, and no accessibility
violations with every panel filled."""

import datetime as dt

import pytest
from django.utils import timezone

from dpa.breaches.models import BreachNotification
from portal.organisations.models import Membership
from subprocessors.objections.models import Objection
from subprocessors.webhooks.models import Webhook, WebhookDelivery
from tests.breaches.factories import make_incident, mark_delivered
from tests.browser.helpers import sign_in
from tests.changes.factories import make_change
from tests.organisations.factories import MembershipFactory
from tests.signing.factories import published_version

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_customer_home_summary_navigation_and_object_button(live_server, page, screenshot, axe):
    page.set_default_timeout(20_000)
    # given an enterprise organisation with something in every panel
    published_version(label="2026.1")
    admin = MembershipFactory(
        user__email="anna@acme.example", organisation__name="Acme Health B.V.", role=Membership.Role.ADMIN
    )
    org = admin.organisation
    today = timezone.localdate()
    announced = timezone.now() - dt.timedelta(days=1)
    upcoming = make_change(status="announced", effective_date=today + dt.timedelta(days=30), announced_at=announced)
    objected = make_change(
        kind="replace", status="announced", effective_date=today + dt.timedelta(days=40), announced_at=announced
    )
    Objection.objects.create(
        change=objected, organisation=org, grounds="Data would leave the EEA.", raised_by=admin.user
    )
    incident = make_incident(organisations=[org], title="Log bucket exposed")
    mark_delivered(BreachNotification.objects.filter(incident=incident))
    hook = Webhook.objects.create(organisation=org, url="https://hooks.acme.example/privacy", secret="s")
    WebhookDelivery.objects.create(
        webhook=hook, event="change.announced", payload={}, status="failed", last_status_code=500
    )

    # when the admin opens the organisation page
    sign_in(page, live_server, admin.user)
    page.goto(f"{live_server.url}/org/{org.public_id}/")

    # then the summary tells what needs attention, with links into the page
    glance = page.get_by_role("region", name="At a glance")
    assert glance.get_by_role("link", name="2 announced changes, 1 open for objection").is_visible()
    assert glance.get_by_role("link", name="1 open objection").is_visible()
    assert glance.get_by_role("link", name="1 not yet acknowledged").is_visible()
    assert glance.get_by_role("link", name="1 of 1 webhook failing").is_visible()
    screenshot("customer-home")
    assert axe("customer home with every panel filled") == []

    # the in-page navigation moves to a section
    page.get_by_role("navigation", name="On this page").get_by_role("link", name="Objections").click()
    assert page.url.endswith("#objections")
    assert page.get_by_role("heading", name="Objections", exact=True).is_visible()

    # the Object button opens the existing objection form for that change
    changes = page.get_by_role("region", name="Upcoming sub-processor changes")
    assert changes.get_by_text("Received").is_visible()
    changes.get_by_role("link", name=f"Object to “{upcoming.headline}”").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Object to a sub-processor change").is_visible()
    assert page.get_by_role("button", name="File objection").is_visible()
