import pytest
from django.db import transaction

from portal.delivery.models import OutboundEmail
from portal.delivery.outbox import email_queue_raw
from tests.support import celery_broker, celery_worker, smtp_sink, wait_for, worker_env

REDIS_URL = "redis://127.0.0.1:6379/14"


@pytest.fixture
def real_broker():
    with celery_broker(REDIS_URL) as queue:
        yield queue


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_real_celery_worker_delivers_an_outbox_email(real_broker):
    with smtp_sink() as (sink, port):
        env = worker_env(smtp_port=port, queue=real_broker, redis_url=REDIS_URL)
        with celery_worker(env, real_broker) as proc:
            # when an email is queued in a committed transaction
            with transaction.atomic():
                row = email_queue_raw(
                    key="worker-test", to="dpo@acme.example", subject="Worker test", text="Hello from the outbox"
                )
            # then the worker process sends it through SMTP and marks it sent
            delivered = wait_for(lambda: OutboundEmail.objects.get(pk=row.pk).status == "sent", timeout=90)
            if not delivered:
                proc.terminate()
                row.refresh_from_db()
                output = proc.stdout.read().decode(errors="replace")[-3000:]
                pytest.fail(f"worker did not deliver ({row.status}, {row.last_error!r}): {output}")
        assert len(sink.messages) == 1
        assert sink.messages[0].rcpt_tos == ["dpo@acme.example"]
        assert b"Hello from the outbox" in sink.messages[0].content
