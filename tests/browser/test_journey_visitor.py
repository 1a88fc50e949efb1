"""Journey 1: a visitor filters the sub-processor list, subscribes, confirms from the email link and
unsubscribes from the link every notice carries."""

import re

import pytest

from portal.delivery.models import OutboundEmail
from subprocessors.listing.demo import load_demo
from subprocessors.listing.models import Subscriber

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _link(row: OutboundEmail, path: str) -> str:
    match = re.search(rf"https?://\S+?({re.escape(path)}\S+?/)(?=\s|$)", row.body_text)
    assert match, f"no {path} link in: {row.body_text}"
    return match.group(1)


def test_visitor_filters_subscribes_confirms_and_unsubscribes(live_server, page, screenshot, axe):
    load_demo()
    # the visitor opens the public list and narrows it to EU/EEA-only processing, without JavaScript tricks
    page.goto(f"{live_server.url}/subprocessors/")
    assert page.get_by_role("heading", level=1).is_visible()
    total = page.locator(".sp-count").inner_text()
    screenshot("journey1-list")
    assert axe("sub-processor list") == []
    page.get_by_label("EU/EEA processing only").check()
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    assert "eea_only=on" in page.url
    filtered = page.locator(".sp-count").inner_text()
    assert "matching your filters" in filtered
    assert filtered != total
    screenshot("journey1-filtered")

    # subscribes with their email address
    page.get_by_label("Email address").fill("reader@news.example")
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_load_state()
    assert page.get_by_text("a confirmation link is on its way").is_visible()
    screenshot("journey1-subscribe-sent")
    assert Subscriber.objects.get(email="reader@news.example").status == "pending"

    # confirms from the link in the confirmation email
    confirmation = OutboundEmail.objects.get(to_email="reader@news.example")
    page.goto(live_server.url + _link(confirmation, "/subprocessors/subscribe/confirm/"))
    page.get_by_role("button", name="Confirm subscription").click()
    page.wait_for_load_state()
    assert page.get_by_text("Your subscription is confirmed").is_visible()
    assert axe("subscription confirmed") == []
    assert Subscriber.objects.get(email="reader@news.example").status == "confirmed"

    # and unsubscribes from the link a notice carries
    from subprocessors.listing.subscriptions import subscriber_unsubscribe_url

    unsubscribe = subscriber_unsubscribe_url(Subscriber.objects.get(email="reader@news.example"))
    page.goto(live_server.url + re.sub(r"^https?://[^/]+", "", unsubscribe))
    page.get_by_role("button", name="Unsubscribe").click()
    page.wait_for_load_state()
    assert page.get_by_text("You are unsubscribed").is_visible()
    screenshot("journey1-unsubscribed")
    assert not Subscriber.objects.filter(email="reader@news.example").exists()
