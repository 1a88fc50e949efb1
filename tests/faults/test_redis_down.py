"""Redis stops while legal staff announce a sub-processor change: the request still succeeds, the change and
its notices are kept in the database, and once Redis is back the beat sweeps hand everything to a real worker,
which sends each notice once."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from portal.deadlines.calendar import add_business_days, local_date
from portal.delivery.models import OutboundEmail
from portal.delivery.tasks import outbox_sweep
from subprocessors.changes.models import SubprocessorChange
from subprocessors.changes.tasks import change_fanout_sweep
from subprocessors.listing.models import Subscriber
from tests.auth import login
from tests.changes.factories import make_change
from tests.organisations.factories import OrganisationFactory
from tests.support import celery_broker, celery_worker, redis_server, smtp_sink, wait_for, worker_env

pytestmark = [pytest.mark.faults, pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _notices(change):
    return OutboundEmail.objects.filter(ref_id=str(change.pk), template="subprocessor_change_announce")


def test_announcing_with_redis_down_succeeds_and_every_notice_goes_out_after(client, legal):
    orgs = [OrganisationFactory() for _ in range(20)]
    Subscriber.objects.bulk_create([Subscriber(email=f"reader{i}@news.example", status="confirmed") for i in range(30)])
    expected = {o.privacy_contact_email for o in orgs} | {f"reader{i}@news.example" for i in range(30)}
    change = make_change()
    effective = add_business_days(local_date(timezone.now()), 11)
    with redis_server() as redis, smtp_sink() as (sink, port), celery_broker(redis.url) as queue:
        env = worker_env(smtp_port=port, queue=queue, redis_url=redis.url)
        with celery_worker(env, queue, concurrency=2) as worker:
            login(client, legal)
            # given Redis is down
            redis.stop()
            # when legal announces the change
            started = time.monotonic()
            response = client.post(
                reverse("changes:staff_announce", args=[change.public_id]), {"effective_date": effective.isoformat()}
            )
            seconds = time.monotonic() - started
            # then the request succeeds and the announcement is committed, waiting for its fan-out
            assert response.status_code == 302
            change.refresh_from_db()
            assert change.status == SubprocessorChange.Status.ANNOUNCED
            assert change.announce_fanout_done_at is None
            # and when Redis is back, the beat sweeps (clock past their grace periods) resume everything
            redis.start()
            with time_machine.travel(timezone.now() + timedelta(minutes=3)):
                assert change_fanout_sweep() == 1

            def delivered():
                if _notices(change).filter(status="sent").count() == len(expected):
                    return True
                with time_machine.travel(timezone.now() + timedelta(minutes=1)):
                    outbox_sweep()  # what beat does every minute; idempotent
                return False

            if not wait_for(delivered, timeout=180, interval=3):
                worker.terminate()
                pytest.fail(worker.stdout.read().decode(errors="replace")[-3000:])
        received = sorted(rcpt for m in sink.messages for rcpt in m.rcpt_tos)
        assert received == sorted(expected)  # everyone, once
        print(
            f"\n[faults] Redis down: announcement answered in {seconds:.2f}s; after restart "
            f"{len(received)} notices delivered, each once"
        )
