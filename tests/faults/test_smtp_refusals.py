"""An SMTP server that refuses 30% of deliveries: every email arrives exactly once, eventually,
and the failures are visible to staff while they happen."""

import logging
from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from portal.delivery.models import OutboundEmail
from portal.delivery.outbox import email_queue_raw
from portal.delivery.tasks import outbox_sweep
from tests.auth import login
from tests.support import smtp_sink

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

EMAILS = 300


def test_every_email_is_delivered_once_through_a_flaky_smtp_server(settings, client, legal, caplog):
    caplog.set_level(logging.ERROR, logger="portal.delivery.outbox")  # 150 retry warnings are expected
    with smtp_sink(refuse_ratio=0.3) as (sink, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        start = timezone.now()
        with time_machine.travel(start, tick=False) as clock:
            # when 300 emails are queued (each commit hands its delivery to the in-process task queue)
            for n in range(EMAILS):
                with transaction.atomic():
                    email_queue_raw(key=f"flaky-{n}", to=f"dpo{n}@customer.example", subject=f"Notice {n}", text="Hi")
            # then the refused ones wait for a retry, with the SMTP answer visible to staff
            retrying = OutboundEmail.objects.filter(status="queued", attempts__gte=1)
            assert retrying.exists()
            login(client, legal)
            page = client.get(reverse("delivery:staff_outbox"), {"status": "queued"}).content.decode()
            assert "SMTPDataError" in page
            assert "Try again later" in page
            # and the beat sweep, running every minute, retries them with backoff
            rounds = 0
            while OutboundEmail.objects.exclude(status__in=["sent", "failed"]).exists() and rounds < 60:
                clock.shift(timedelta(minutes=1))
                outbox_sweep()
                rounds += 1
            # a row that used up its attempts is failed, listed for staff, and sent again on their retry
            for row in OutboundEmail.objects.filter(status="failed"):
                assert row.last_error
                client.post(reverse("delivery:staff_outbox_retry", args=[row.pk]))
                while OutboundEmail.objects.get(pk=row.pk).status != "sent":
                    clock.shift(timedelta(minutes=6))
                    outbox_sweep()

        assert OutboundEmail.objects.filter(status="sent").count() == EMAILS
        received = Counter(rcpt for message in sink.messages for rcpt in message.rcpt_tos)
        assert len(received) == EMAILS
        assert set(received.values()) == {1}
        assert sink.refused > EMAILS * 0.2
        retried = OutboundEmail.objects.filter(attempts__gt=1).count()
        print(f"\n[faults] flaky SMTP: {EMAILS} emails, {sink.refused} refusals, {retried} retried, {rounds} sweeps")
