import datetime as dt
import json

import pytest
import time_machine
from django.urls import reverse
from standardwebhooks import Webhook as StandardWebhook

from portal.audit.models import AuditEvent
from portal.delivery.webhook_security import URL_PRIVATE
from subprocessors.webhooks.models import Webhook, WebhookDelivery
from subprocessors.webhooks.services import REFUSED_ADDRESS, webhook_deliver, webhook_deliveries_create, webhook_due_ids
from tests.auth import login
from tests.changes.factories import make_change
from tests.delivery.test_webhook_security import _readme_snippet

pytestmark = pytest.mark.django_db


def test_admin_registration_refuses_loopback_by_default(client, org_admin, org, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    login(client, org_admin)
    response = client.post(reverse("webhooks:list", args=[org.public_id]), {"url": "https://127.0.0.1/hook"})
    assert response.status_code == 400
    assert URL_PRIVATE.format(address="127.0.0.1") in response.content.decode()
    assert not Webhook.objects.exists()
    assert not AuditEvent.objects.filter(action="webhook.registered").exists()


def test_admin_registers_a_webhook_and_sees_its_secret_once(client, org_admin, org, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    login(client, org_admin)
    url = reverse("webhooks:list", args=[org.public_id])
    response = client.post(url, {"url": "https://93.184.215.14/portal-hook", "description": "SIEM"})
    webhook = Webhook.objects.get()
    assert response.status_code == 201
    assert webhook.secret in response.content.decode()
    assert webhook.secret not in client.get(url).content.decode()
    assert AuditEvent.objects.filter(action="webhook.registered", organisation_id=org.pk).exists()
    # and removes it
    assert client.post(reverse("webhooks:remove", args=[org.public_id, webhook.public_id])).status_code == 302
    webhook.refresh_from_db()
    assert webhook.active is False


def test_members_and_outsiders_cannot_manage_webhooks(client, member, other_member, org):
    login(client, member)
    assert client.get(reverse("webhooks:list", args=[org.public_id])).status_code == 403
    login(client, other_member)
    assert client.get(reverse("webhooks:list", args=[org.public_id])).status_code == 404
    assert (
        client.post(reverse("webhooks:list", args=[org.public_id]), {"url": "https://93.184.215.14/x"}).status_code
        == 404
    )
    assert not Webhook.objects.exists()


def test_delivery_is_signed_and_verifies_with_the_readme_snippet(receiver, org, django_capture_on_commit_callbacks):
    handler, url = receiver
    webhook = Webhook.objects.create(organisation=org, url=url, secret="whsec_abc")
    change = make_change(status="announced")
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_deliveries_create(change=change, event="subprocessor_change.announced") == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "succeeded"
    assert delivery.last_status_code == 204
    headers, body = handler.received[0]
    verify = _readme_snippet()["verify"]
    assert verify(webhook.secret, body, headers) == json.loads(body)
    assert StandardWebhook(webhook.secret).verify(body, headers) == json.loads(body)
    payload = json.loads(body)
    assert payload["event"] == "subprocessor_change.announced"
    assert payload["change"]["id"] == str(change.public_id)
    assert payload["change"]["objection_deadline"] == "2026-12-29T00:00:00+01:00"
    assert headers["webhook-id"] == headers["X-Portal-Delivery"] == str(delivery.delivery_id)
    assert headers["webhook-signature"].startswith("v1,")
    assert "X-Portal-Signature" not in headers
    assert headers["X-Portal-Event"] == "subprocessor_change.announced"
    # creating the deliveries again adds nothing
    assert webhook_deliveries_create(change=change, event="subprocessor_change.announced") == 1
    assert WebhookDelivery.objects.count() == 1


def test_failed_delivery_is_retried_with_backoff_then_succeeds(receiver, org):
    handler, url = receiver
    handler.answers = [500, 503]
    webhook = Webhook.objects.create(organisation=org, url=url, secret="whsec_abc")
    delivery = WebhookDelivery.objects.create(webhook=webhook, event="test", payload={"event": "test"})
    start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        assert webhook_deliver(delivery_id=delivery.pk) == "retry"
        delivery.refresh_from_db()
        assert delivery.next_attempt_at == start + dt.timedelta(seconds=30)
        assert webhook_deliver(delivery_id=delivery.pk) == "skipped"  # not due yet
    with time_machine.travel(start + dt.timedelta(seconds=31), tick=False):
        assert webhook_deliver(delivery_id=delivery.pk) == "retry"
        delivery.refresh_from_db()
        assert delivery.next_attempt_at == start + dt.timedelta(seconds=31 + 120)
    with time_machine.travel(start + dt.timedelta(minutes=10), tick=False):
        assert webhook_due_ids() == [delivery.pk]
        assert webhook_deliver(delivery_id=delivery.pk) == "succeeded"
    delivery.refresh_from_db()
    assert [a["status_code"] for a in delivery.attempt_log] == [500, 503, 204]
    assert delivery.status == "succeeded"
    assert delivery.attempts == 3
    # every attempt carried the same delivery id
    assert len({h["webhook-id"] for h, _ in handler.received}) == 1


def test_delivery_gives_up_after_the_last_attempt(receiver, org):
    from subprocessors.webhooks.services import MAX_ATTEMPTS

    handler, url = receiver
    handler.answers = [500] * MAX_ATTEMPTS
    webhook = Webhook.objects.create(organisation=org, url=url, secret="whsec_abc")
    delivery = WebhookDelivery.objects.create(webhook=webhook, event="test", payload={})
    results = []
    for _ in range(MAX_ATTEMPTS):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=None)
        results.append(webhook_deliver(delivery_id=delivery.pk))
    assert results[-1] == "failed"
    assert set(results[:-1]) == {"retry"}
    delivery.refresh_from_db()
    assert delivery.status == "failed"


def test_delivery_to_a_private_address_is_refused_at_send_time(org, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    webhook = Webhook.objects.create(organisation=org, url="https://127.0.0.1:9/hook", secret="s")
    delivery = WebhookDelivery.objects.create(webhook=webhook, event="test", payload={})
    assert webhook_deliver(delivery_id=delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert delivery.last_status_code is None
    assert delivery.last_error == REFUSED_ADDRESS


def test_admin_sees_deliveries_with_status_codes(client, org_admin, org, other_org):
    webhook = Webhook.objects.create(organisation=org, url="https://93.184.215.14/a", secret="s")
    theirs = Webhook.objects.create(organisation=other_org, url="https://93.184.215.14/globex", secret="s")
    WebhookDelivery.objects.create(
        webhook=webhook,
        event="subprocessor_change.announced",
        payload={},
        status="succeeded",
        attempts=2,
        last_status_code=200,
        attempt_log=[{"status_code": 502, "error": "HTTP 502"}, {"status_code": 200, "error": ""}],
    )
    WebhookDelivery.objects.create(webhook=theirs, event="subprocessor_change.announced", payload={})
    login(client, org_admin)
    page = client.get(reverse("webhooks:list", args=[org.public_id])).content.decode()
    assert "502" in page
    assert "200" in page
    assert "Delivered" in page
    assert "/globex" not in page


def test_announce_and_withdraw_call_every_active_webhook_once(
    org, other_org, legal, django_capture_on_commit_callbacks
):
    from subprocessors.changes.fanout import change_fanout
    from subprocessors.changes.services import change_announce, change_withdraw

    Webhook.objects.create(organisation=org, url="https://93.184.215.14/a", secret="s")
    Webhook.objects.create(organisation=other_org, url="https://93.184.215.14/b", secret="s")
    Webhook.objects.create(organisation=other_org, url="https://93.184.215.14/old", secret="s", active=False)
    change = make_change(effective_date=dt.date(2026, 12, 29))
    with django_capture_on_commit_callbacks(execute=False):
        change_announce(
            change=change, effective_date=None, actor=legal, now=dt.datetime(2026, 12, 14, 9, 0, tzinfo=dt.UTC)
        )
        change_fanout(change_id=change.pk, notice="announce")
        change_fanout(change_id=change.pk, notice="announce")
        change_withdraw(change=change, reason="Provider failed the audit.", actor=legal)
    events = sorted(WebhookDelivery.objects.values_list("event", "webhook__url"))
    assert events == [
        ("subprocessor_change.announced", "https://93.184.215.14/a"),
        ("subprocessor_change.announced", "https://93.184.215.14/b"),
        ("subprocessor_change.withdrawn", "https://93.184.215.14/a"),
        ("subprocessor_change.withdrawn", "https://93.184.215.14/b"),
    ]
    withdrawn = WebhookDelivery.objects.filter(event="subprocessor_change.withdrawn").first()
    assert withdrawn.payload["change"]["status"] == "withdrawn"


def test_the_change_a_delivery_is_about_hears_of_it_in_the_same_transaction(
    receiver, org, monkeypatch, django_capture_on_commit_callbacks
):
    from django.db import connection

    from portal.delivery import events_bus as delivery_events
    from portal.delivery.webhook_security import webhook_secret_new

    monkeypatch.setattr(delivery_events, "_webhook_delivered", {})
    seen = []
    delivery_events.on_webhook_delivered("changes.SubprocessorChange")(
        lambda row: seen.append((row.change_id, row.status, row.delivered_at, connection.in_atomic_block))
    )
    _, url = receiver
    Webhook.objects.create(organisation=org, url=url, secret=webhook_secret_new())
    change = make_change(status="announced")
    with django_capture_on_commit_callbacks(execute=True):
        webhook_deliveries_create(change=change, event="subprocessor_change.announced")
    delivery = WebhookDelivery.objects.get()
    assert delivery.idempotency_key == f"webhook:{delivery.webhook_id}:subprocessor_change.announced:{change.pk}"
    assert (delivery.ref_type, delivery.ref_id) == ("changes.SubprocessorChange", str(change.pk))
    assert seen == [(change.pk, "succeeded", delivery.delivered_at, True)]
