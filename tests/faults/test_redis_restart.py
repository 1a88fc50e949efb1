"""Redis stops while a worker is in the middle of a send, and starts again empty (as a restart without persistence
leaves it). The same worker process reconnects and delivers a 2,000-recipient announcement afterwards.

This is the state in which workers used to stop for good: a task running (acks_late, not yet acknowledged) and the
other pool slot waiting for work at the moment Redis goes away. Celery's cleanup of the lost connection then failed
inside kombu with an AttributeError, which Celery treats as fatal: "Unrecoverable error", exit status 1, and nothing
was delivered until someone restarted the worker (`portal.celery.guard_redis_channel_close`)."""

import os
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from portal.deadlines.calendar import add_business_days, local_date
from portal.delivery.models import OutboundEmail
from portal.delivery.outbox import email_queue_raw
from portal.delivery.tasks import outbox_sweep
from subprocessors.changes.services import change_announce
from subprocessors.changes.tasks import change_fanout_sweep
from subprocessors.listing.models import Subscriber
from tests.changes.factories import make_change
from tests.support import celery_broker, celery_worker, redis_server, smtp_sink, wait_for, worker_env

pytestmark = [pytest.mark.faults, pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

RECIPIENTS = int(os.environ.get("FAULT_REDIS_RECIPIENTS", 2000))
DOWN_SECONDS = 10


def _notices(change):
    return OutboundEmail.objects.filter(ref_id=str(change.pk), template="subprocessor_change_announce")


def test_a_worker_busy_when_redis_stops_reconnects_and_delivers_a_fanout(legal):
    Subscriber.objects.bulk_create(
        [Subscriber(email=f"reader{i:05d}@news.example", status="confirmed") for i in range(RECIPIENTS)],
        batch_size=2000,
    )
    change = make_change(effective_date=add_business_days(local_date(timezone.now()), 12))
    with redis_server() as redis, smtp_sink() as (sink, port), celery_broker(redis.url) as queue:
        env = worker_env(smtp_port=port, queue=queue, redis_url=redis.url)
        with celery_worker(env, queue, concurrency=2) as worker:
            # given a worker in the middle of a send (the SMTP server holds it) and waiting for more work
            sink.hold_for = {"held@acme.example"}
            with transaction.atomic():
                held = email_queue_raw(key="held", to="held@acme.example", subject="Held", text="t")
            assert sink.holding.wait(timeout=60), "the worker did not start sending"
            time.sleep(1)
            # when Redis stops, the send finishes while it is away, and Redis starts again with nothing in it
            redis.stop()
            stopped = time.monotonic()
            time.sleep(DOWN_SECONDS / 2)
            sink.release.set()
            time.sleep(DOWN_SECONDS / 2)
            redis.start()
            # and legal staff announce a change to every subscriber
            with transaction.atomic():
                change_announce(change=change, effective_date=None, actor=legal)
            restarted = time.monotonic()
            # then the worker that was running all along delivers every notice, and the held email once
            last_sweep = [restarted]

            def finished():
                if worker.poll() is not None:
                    return True  # it exited: fail below with its output
                if _notices(change).filter(status="sent").count() == RECIPIENTS:
                    return True
                if time.monotonic() - last_sweep[0] > 60:  # what beat does every minute; idempotent
                    # (past the sweeps' grace periods, not past the 5 minutes after which `sending` is stuck)
                    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
                        change_fanout_sweep()
                        outbox_sweep()
                    last_sweep[0] = time.monotonic()
                return False

            wait_for(finished, timeout=600, interval=2)
            seconds = time.monotonic() - restarted
            exit_code = worker.poll()
            sent = _notices(change).filter(status="sent").count()
            if exit_code is not None or sent != RECIPIENTS:
                worker.terminate()
                output = worker.stdout.read().decode(errors="replace")
                pytest.fail(f"worker exit status {exit_code}, {sent}/{RECIPIENTS} notices sent\n{output[-4000:]}")
    held.refresh_from_db()
    assert held.status == OutboundEmail.Status.SENT
    received = [rcpt for message in sink.messages for rcpt in message.rcpt_tos]
    assert received.count("held@acme.example") == 1
    notices = [r for r in received if r.startswith("reader")]
    assert len(notices) == len(set(notices)) == RECIPIENTS  # everyone, once
    print(
        f"\n[faults] Redis stopped for {DOWN_SECONDS}s under a busy worker (pid {worker.pid}, "
        f"{restarted - stopped:.0f}s from stop to announcement): the same process delivered all {RECIPIENTS} "
        f"notices in {seconds:.0f}s after the restart, and the held email once"
    )
