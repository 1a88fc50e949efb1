"""SIGKILL the Celery worker in the middle of announcing a change to 5,000 recipients, start a new one:
every recipient ends up with the notice, and none with two different copies of it."""

import datetime as dt
import os
import signal
import time
from collections import defaultdict

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from portal.deadlines.calendar import add_business_days, local_date
from portal.delivery.models import OutboundEmail
from portal.delivery.tasks import outbox_sweep
from subprocessors.changes.services import change_announce
from subprocessors.changes.tasks import change_fanout_sweep
from subprocessors.listing.models import Subscriber
from tests.changes.factories import make_change
from tests.support import celery_broker, celery_worker, redis_server, smtp_sink, wait_for, worker_env

pytestmark = [pytest.mark.faults, pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

RECIPIENTS = 5000


def _notices(change):
    return OutboundEmail.objects.filter(ref_id=str(change.pk), template="subprocessor_change_announce")


def test_worker_killed_mid_fanout_every_recipient_gets_the_notice_once(legal):
    Subscriber.objects.bulk_create(
        [Subscriber(email=f"reader{i:05d}@news.example", status="confirmed") for i in range(RECIPIENTS)],
        batch_size=2000,
    )
    change = make_change(effective_date=add_business_days(local_date(timezone.now()), 12))
    with redis_server() as redis, smtp_sink() as (sink, port), celery_broker(redis.url) as queue:
        env = worker_env(smtp_port=port, queue=queue, redis_url=redis.url)
        env["CHANGE_FANOUT_BATCH"] = "250"
        started = time.monotonic()
        with celery_worker(env, queue, concurrency=2) as first:
            # when legal announces the change (the commit enqueues the fan-out)
            with transaction.atomic():
                change_announce(change=change, effective_date=None, actor=legal)
            # and the worker dies by SIGKILL while the fan-out is creating emails and sending them
            assert wait_for(lambda: _notices(change).count() >= 1500, timeout=120), "fan-out did not start"
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
        at_kill = {"emails": _notices(change).count(), "delivered": len(sink.messages)}
        # then the beat sweeps (run here, the clock moved past their grace periods) find what was left
        with time_machine.travel(timezone.now() + dt.timedelta(minutes=10)):
            change_fanout_sweep()
            outbox_sweep()
        # and a new worker finishes the job
        with celery_worker(env, queue, concurrency=4) as second:
            last_sweep = [time.monotonic()]

            def finished():
                if _notices(change).filter(status="sent").count() == RECIPIENTS:
                    return True
                if time.monotonic() - last_sweep[0] > 60:  # what beat does every minute; idempotent
                    change_fanout_sweep()
                    outbox_sweep()
                    last_sweep[0] = time.monotonic()
                return False

            if not wait_for(finished, timeout=900, interval=2):
                second.terminate()
                pytest.fail(second.stdout.read().decode(errors="replace")[-3000:])
        seconds = time.monotonic() - started

    copies = defaultdict(set)
    raw = defaultdict(int)
    for message in sink.messages:
        message_id = next(line for line in message.content.splitlines() if line.lower().startswith(b"message-id:"))
        for rcpt in message.rcpt_tos:
            copies[rcpt].add(message_id)
            raw[rcpt] += 1
    assert len(copies) == RECIPIENTS
    assert all(len(ids) == 1 for ids in copies.values()), "a recipient received two different notices"
    redelivered = sum(n - 1 for n in raw.values())
    # Only a message in flight at the kill can reach the server twice (same Message-ID), one per pool process.
    assert redelivered <= 2
    print(
        f"\n[faults] worker SIGKILL mid fan-out: {RECIPIENTS} recipients; at the kill {at_kill['emails']} emails "
        f"created, {at_kill['delivered']} delivered; after restart all {RECIPIENTS} delivered, "
        f"{redelivered} re-sent with the same Message-ID; {seconds:.0f}s in all"
    )
