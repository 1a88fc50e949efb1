import datetime as dt

import pytest
import time_machine

from subprocessors.changes import tasks
from subprocessors.webhooks import tasks as webhook_tasks
from subprocessors.webhooks.models import Webhook, WebhookDelivery
from tests.changes.factories import make_change

pytestmark = pytest.mark.django_db


def test_webhook_task_reschedules_short_retries_and_leaves_long_ones_to_the_sweep(org, monkeypatch, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    scheduled = []
    # the single-delivery task (old broker messages) delegates to the batch task, which reschedules as a batch
    monkeypatch.setattr(
        webhook_tasks.webhook_deliver_batch_task, "apply_async", lambda args, countdown: scheduled.append(countdown)
    )
    webhook = Webhook.objects.create(organisation=org, url="https://127.0.0.1:9/refused", secret="s")
    delivery = WebhookDelivery.objects.create(webhook=webhook, event="test", payload={})
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        assert webhook_tasks.webhook_deliver_task(delivery.pk) == "retry"
        assert scheduled == [31]  # first backoff: 30 s
        WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=3, next_attempt_at=None)
        assert webhook_tasks.webhook_deliver_task(delivery.pk) == "retry"  # fourth attempt fails: next in 30 min
    assert scheduled == [31]


def test_sweeps_enqueue_what_a_lost_task_left(org, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.change_fanout_task, "delay", lambda *args: queued.append(args))
    monkeypatch.setattr(webhook_tasks.webhook_deliver_batch_task, "delay", lambda *args: queued.append(args))
    change = make_change(status="announced", announced_at=dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC))
    webhook = Webhook.objects.create(organisation=org, url="https://93.184.215.14/x", secret="s")
    delivery = WebhookDelivery.objects.create(webhook=webhook, event="test", payload={})
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, 10, tzinfo=dt.UTC), tick=False):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(updated_at=dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC))
        assert tasks.change_fanout_sweep() == 1
        assert webhook_tasks.webhook_sweep() == 1
    assert queued == [(change.pk, "announce"), ([delivery.pk],)]
