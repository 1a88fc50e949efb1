import datetime as dt

import pytest
from django.db import transaction

from portal.delivery.models import OutboundEmail
from subprocessors.changes.models import ChangeRecipient
from subprocessors.changes.services import change_announce
from tests.changes.factories import make_change
from tests.listing.factories import SubscriberFactory
from tests.organisations.factories import OrganisationFactory
from tests.support import celery_broker, celery_worker, smtp_sink, wait_for, worker_env

REDIS_URL = "redis://127.0.0.1:6379/14"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_announcing_commits_and_a_real_worker_fans_out_and_delivers():
    # given three customer organisations and a subscriber who is also one of their privacy contacts
    orgs = [OrganisationFactory() for _ in range(3)]
    SubscriberFactory(email=orgs[0].privacy_contact_email, status="confirmed")
    change = make_change(effective_date=dt.date(2026, 12, 29))
    with celery_broker(REDIS_URL) as queue, smtp_sink() as (sink, port):
        env = worker_env(smtp_port=port, queue=queue, redis_url=REDIS_URL)
        with celery_worker(env, queue) as proc:
            # when the change is announced (the request only commits it and enqueues the fan-out)
            with transaction.atomic():
                change_announce(
                    change=change, effective_date=None, actor=None, now=dt.datetime(2026, 12, 14, 9, 0, tzinfo=dt.UTC)
                )
            # then the worker records the recipients, writes their emails and delivers each once
            done = wait_for(
                lambda: OutboundEmail.objects.filter(ref_id=str(change.pk), status="sent").count() == 3, timeout=90
            )
            if not done:
                proc.terminate()
                pytest.fail(proc.stdout.read().decode(errors="replace")[-3000:])
    assert ChangeRecipient.objects.filter(change=change).count() == 3
    assert sorted(rcpt for m in sink.messages for rcpt in m.rcpt_tos) == sorted(o.privacy_contact_email for o in orgs)
