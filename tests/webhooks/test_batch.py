"""Webhook deliveries in batches, and at most WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT in flight per endpoint: a slow
endpoint's further deliveries wait (pending, no attempt counted) while other endpoints' go out."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from portal.delivery import services as engine
from subprocessors.webhooks import tasks as webhook_tasks
from subprocessors.webhooks.models import Webhook, WebhookDelivery
from subprocessors.webhooks.services import STUCK_AFTER, webhook_deliver, webhook_deliver_batch

pytestmark = pytest.mark.django_db


def _deliveries(webhook, n, **fields):
    return [WebhookDelivery.objects.create(webhook=webhook, event="test", payload={"n": i}, **fields) for i in range(n)]


@pytest.fixture
def endpoints(receiver, org, settings):
    settings.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT = 2
    handler, url = receiver
    slow = Webhook.objects.create(organisation=org, url=url.replace("/hook", "/slow"), secret="whsec_abc")
    fast = Webhook.objects.create(organisation=org, url=url.replace("/hook", "/fast"), secret="whsec_abcd")
    return handler, slow, fast


def test_an_endpoint_with_deliveries_in_flight_gets_only_what_its_limit_leaves(endpoints):
    handler, slow, fast = endpoints
    # given one delivery to the slow endpoint in flight on another worker, and one stuck there by a dead worker
    _deliveries(slow, 1, status="sending", attempts=1, locked_at=timezone.now())
    _deliveries(slow, 1, status="sending", attempts=1, locked_at=timezone.now() - STUCK_AFTER - dt.timedelta(1))
    waiting_slow, waiting_fast = _deliveries(slow, 4), _deliveries(fast, 2)
    # when a batch of all the waiting deliveries runs
    results = webhook_deliver_batch(delivery_ids=[d.pk for d in waiting_slow + waiting_fast])
    # then the slow endpoint got one more (two in flight), the fast one all of its own
    assert [results[d.pk] for d in waiting_slow] == ["succeeded", "deferred", "deferred", "deferred"]
    assert [results[d.pk] for d in waiting_fast] == ["succeeded"] * 2
    assert sorted(handler.paths).count("/slow") == 1
    # and the deliveries held back wait, their attempts uncounted and no error recorded
    held = WebhookDelivery.objects.filter(pk__in=[d.pk for d in waiting_slow[1:]])
    assert {(d.status, d.attempts, d.last_error, d.locked_at) for d in held} == {("pending", 0, "", None)}


def test_held_back_deliveries_go_out_once_the_endpoint_has_room(endpoints):
    handler, slow, _ = endpoints
    [in_flight] = _deliveries(slow, 1, status="sending", attempts=1, locked_at=timezone.now())
    waiting = _deliveries(slow, 3)
    ids = [d.pk for d in waiting]
    assert list(webhook_deliver_batch(delivery_ids=ids).values()).count("succeeded") == 1
    # when the delivery in flight ends
    WebhookDelivery.objects.filter(pk=in_flight.pk).update(status="succeeded", locked_at=None)
    # then the next batch takes the two still waiting
    assert list(webhook_deliver_batch(delivery_ids=ids).values()).count("succeeded") == 2
    assert WebhookDelivery.objects.filter(webhook=slow, status="succeeded").count() == 4


def test_the_limit_counts_a_batchs_own_claims(endpoints, settings):
    settings.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT = 3
    _, slow, _ = endpoints
    waiting = _deliveries(slow, 5)
    results = webhook_deliver_batch(delivery_ids=[d.pk for d in waiting])
    assert list(results.values()) == ["succeeded"] * 3 + ["deferred"] * 2


def test_the_task_offers_held_back_deliveries_again_a_few_seconds_later(endpoints, monkeypatch):
    _, slow, _ = endpoints
    _deliveries(slow, 2, status="sending", attempts=1, locked_at=timezone.now())
    waiting = _deliveries(slow, 2)
    scheduled = []
    task = webhook_tasks.webhook_deliver_batch_task
    monkeypatch.setattr(task, "apply_async", lambda args, countdown: scheduled.append((args, countdown)))
    assert webhook_tasks.webhook_deliver_batch_task([d.pk for d in waiting]) == {"deferred": 2}
    assert scheduled == [(([d.pk for d in waiting],), engine.DEFER_SECONDS)]


def test_a_single_delivery_over_the_limit_is_deferred_not_failed(endpoints):
    _, slow, _ = endpoints
    _deliveries(slow, 2, status="sending", attempts=1, locked_at=timezone.now())
    [waiting] = _deliveries(slow, 1)
    with time_machine.travel(timezone.now(), tick=False):
        assert webhook_deliver(delivery_id=waiting.pk) == "deferred"
    waiting.refresh_from_db()
    assert (waiting.status, waiting.attempts) == ("pending", 0)


def test_deliveries_are_enqueued_one_task_per_batch(org, settings, monkeypatch, django_capture_on_commit_callbacks):
    from subprocessors.webhooks.services import webhook_deliveries_create
    from tests.changes.factories import make_change

    settings.WEBHOOK_BATCH_SIZE = 4
    for i in range(10):
        Webhook.objects.create(organisation=org, url=f"https://93.184.215.14/hook-{i}", secret="s")
    queued = []
    monkeypatch.setattr(webhook_tasks.webhook_deliver_batch_task, "delay", lambda ids: queued.append(ids))
    change = make_change()
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_deliveries_create(change=change, event="subprocessor_change.announced") == 10
    assert [len(ids) for ids in queued] == [4, 4, 2]
