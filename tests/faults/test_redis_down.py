"""Redis stops while a customer does something that sends email: the request still succeeds, the email is
kept in the outbox, and once Redis is back the beat sweep hands it to a real worker, which sends it once."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from portal.models import Invitation, OutboundEmail
from portal.tasks import outbox_sweep
from tests.support import celery_broker, celery_worker, redis_server, smtp_sink, wait_for, worker_env

pytestmark = [pytest.mark.faults, pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_request_succeeds_with_redis_down_and_the_email_goes_out_after(client, org, org_admin, settings):
    with redis_server() as redis, smtp_sink() as (sink, port), celery_broker(redis.url) as queue:
        env = worker_env(smtp_port=port, queue=queue, redis_url=redis.url)
        with celery_worker(env, queue) as worker:
            client.force_login(org_admin)
            # given Redis is down
            redis.stop()
            # when the organisation admin invites a colleague
            started = time.monotonic()
            response = client.post(
                reverse("organisation_invite", args=[org.public_id]), {"email": "new@acme.example", "role": "member"}
            )
            seconds = time.monotonic() - started
            # then the request succeeds and the invitation email waits in the outbox
            assert response.status_code == 302
            assert Invitation.objects.filter(email="new@acme.example").exists()
            row = OutboundEmail.objects.get(to_email="new@acme.example")
            assert row.status == "queued"
            # and when Redis is back, the next beat sweep gets it delivered by the worker
            redis.start()
            with time_machine.travel(timezone.now() + timedelta(seconds=31)):  # past the sweep's grace period
                assert outbox_sweep() == 1
            delivered = wait_for(lambda: OutboundEmail.objects.get(pk=row.pk).status == "sent", timeout=90)
            if not delivered:
                worker.terminate()
                pytest.fail(worker.stdout.read().decode(errors="replace")[-3000:])
        assert [m.rcpt_tos for m in sink.messages] == [["new@acme.example"]]
        print(f"\n[faults] Redis down: invitation request answered in {seconds:.2f}s, email sent after restart")
