"""The Celery worker is stopped for the whole reminder period of two breach notifications, while beat keeps
queueing its every-minute sweep and a notification is sent from the dashboard. When a worker starts again,
every due reminder, the overdue alert and the queued notification go out exactly once.

The worker runs on the real clock, so "the whole reminder period" is set up by placing the awareness times in
the past: one notification is 47.5 hours old (24h/12h/4h/1h reminders due), one 49 hours (overdue as well)."""

import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from dpa.breaches.models import BreachNotification
from dpa.breaches.services import breach_notification_send
from portal.deadlines.models import ObligationReminder
from portal.deadlines.tasks import obligation_reminders_sweep
from portal.delivery.models import OutboundEmail
from tests.breaches.factories import make_incident
from tests.organisations.factories import OrganisationFactory
from tests.support import celery_broker, celery_worker, redis_server, smtp_sink, wait_for, worker_env

pytestmark = [pytest.mark.faults, pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

BEAT_TICKS_WHILE_STOPPED = 30


def test_stopped_worker_catches_up_every_reminder_and_notice_exactly_once(legal, settings):
    almost = OrganisationFactory(name="Almost Due B.V.")
    overdue = OrganisationFactory(name="Overdue B.V.")
    fresh = OrganisationFactory(name="Fresh B.V.")
    with redis_server() as redis, smtp_sink() as (sink, port), celery_broker(redis.url) as queue:
        env = worker_env(smtp_port=port, queue=queue, redis_url=redis.url)
        # given a worker that ran and was stopped
        with celery_worker(env, queue, concurrency=2):
            time.sleep(1)
        # while it is stopped: two notifications go unsent through their reminder period, beat keeps ticking,
        # and legal staff send a third notification
        now = timezone.now()
        make_incident(organisations=[almost], aware_at=now - timedelta(hours=47, minutes=30), actor=legal)
        make_incident(organisations=[overdue], aware_at=now - timedelta(hours=49), actor=legal)
        sent_incident = make_incident(organisations=[fresh], aware_at=now - timedelta(hours=1), actor=legal)
        with transaction.atomic():
            breach_notification_send(notification=BreachNotification.objects.get(incident=sent_incident), actor=legal)
        for _ in range(BEAT_TICKS_WHILE_STOPPED):
            obligation_reminders_sweep.delay()
        time.sleep(1)
        assert OutboundEmail.objects.filter(status="sent").count() == 0
        assert ObligationReminder.objects.count() == 0
        # when a worker (two processes, so sweeps race each other) starts again
        with celery_worker(env, queue, concurrency=2) as worker:
            expected = 4 + 5 + 1  # reminders for "almost", reminders + overdue alert for "overdue", the notice
            done = wait_for(
                lambda: OutboundEmail.objects.filter(status="sent").count() >= expected and len(sink.messages) >= 10,
                timeout=120,
            )
            if not done:
                worker.terminate()
                pytest.fail(worker.stdout.read().decode(errors="replace")[-3000:])
            # and beat keeps ticking afterwards
            for _ in range(3):
                obligation_reminders_sweep.delay()
            time.sleep(3)
    # then each reminder stage, the overdue alert and the notification went out exactly once
    stages = Counter((r.obligation.organisation.name, r.stage) for r in ObligationReminder.objects.all())
    assert stages == Counter(
        [("Almost Due B.V.", s) for s in ("24h", "12h", "4h", "1h")]
        + [("Overdue B.V.", s) for s in ("24h", "12h", "4h", "1h", "overdue")]
    )
    recipients = Counter(rcpt for m in sink.messages for rcpt in m.rcpt_tos)
    assert recipients == Counter({legal.email: 8, settings.PORTAL_LEGAL_LEAD_EMAIL: 1, fresh.breach_contact_email: 1})
    assert OutboundEmail.objects.count() == 10
    # and the worker process told the breach register: the notice is delivered and its obligation complete
    notice = BreachNotification.objects.select_related("email", "obligation").get(incident=sent_incident)
    assert notice.status == "delivered"
    assert notice.delivered_message_id == notice.email.message_id
    assert notice.obligation.status == "completed"
    assert notice.obligation.completed_at == notice.delivered_at == notice.email.sent_at
    assert len({m.content for m in sink.messages}) == 10
    print(f"\n[faults] worker stopped through the reminder period: {len(sink.messages)} emails, none twice")
