"""Announcing a sub-processor change to 20,000 recipients.

Prints: seconds to create every outbox row (the batched, resumable fan-out task, run in-process), and the rate
at which one worker process delivers those emails through the outbox to a local SMTP sink (aiosmtpd) — beside
the rate of plain smtplib sending the same messages over one connection, as a ratio.

Runs against DATABASE_URL's PostgreSQL server in a throw-away database. BENCH_RECIPIENTS (default 20000) sets
the fan-out size; BENCH_DELIVER (default 2000) how many of those emails the delivery measurement sends.
"""

import datetime as dt
import logging
import os
import smtplib
import socket
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

from aiosmtpd.controller import Controller  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

RECIPIENTS = int(os.environ.get("BENCH_RECIPIENTS", "20000"))
DELIVER = int(os.environ.get("BENCH_DELIVER", "2000"))


class Sink:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.count += 1
        return "250 OK"


def main() -> None:
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO
    logging.getLogger("celery").setLevel(logging.WARNING)
    if connection.vendor != "postgresql":
        print("bench/fanout.py needs PostgreSQL (DATABASE_URL)")
        return
    setup_test_environment()
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"bench_fanout_{os.getpid()}"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run() -> None:
    from portal.delivery import enqueue, outbox
    from portal.delivery.models import OutboundEmail
    from portal.organisations.models import Organisation
    from subprocessors.changes import fanout
    from subprocessors.changes.models import SubprocessorChange
    from subprocessors.changes.services import change_announce
    from subprocessors.listing.models import Subprocessor, Subscriber

    # Delivery is measured separately below: the fan-out only writes rows (as in production, where the
    # worker delivers them afterwards).
    enqueue.emails_deliver = lambda ids: None
    from subprocessors.changes import tasks

    tasks.change_fanout_task.delay = lambda *args: None  # the fan-out is timed below, not run on announce
    subscribers = RECIPIENTS // 5
    Organisation.objects.bulk_create(
        [
            Organisation(name=f"Customer {i:05d}", privacy_contact_email=f"privacy{i:05d}@customer.example")
            for i in range(RECIPIENTS - subscribers)
        ],
        batch_size=5000,
    )
    Subscriber.objects.bulk_create(
        [Subscriber(email=f"reader{i:05d}@news.example", status="confirmed") for i in range(subscribers)],
        batch_size=5000,
    )
    sub = Subprocessor.objects.create(
        name="Bench Inference",
        slug="bench-inference",
        legal_entity="Bench Inference B.V.",
        category="ai_provider",
        purpose="Model hosting",
        hq_country="NL",
        processing_region="NL",
        status="proposed",
    )
    change = SubprocessorChange.objects.create(
        kind="add", subprocessor=sub, reason="Benchmark", effective_date=timezone.localdate() + dt.timedelta(days=40)
    )
    change_announce(change=change, effective_date=None, actor=None)  # on_commit never fires outside a request
    started = time.perf_counter()
    created = fanout.change_fanout(change_id=change.pk, notice="announce")
    fanout_seconds = time.perf_counter() - started
    assert created == RECIPIENTS, (created, RECIPIENTS)
    assert OutboundEmail.objects.filter(ref_id=str(change.pk)).count() == RECIPIENTS
    print(f"recipients                     {RECIPIENTS}")
    print(
        f"fan-out: outbox rows created   {fanout_seconds:8.2f} s   ({RECIPIENTS / fanout_seconds:,.0f} rows/s, "
        f"batches of {settings.CHANGE_FANOUT_BATCH})"
    )

    ids = list(OutboundEmail.objects.filter(ref_id=str(change.pk)).order_by("id").values_list("id", flat=True))
    ids = ids[:DELIVER]
    sink = Sink()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        # One worker: the same code path as outbox_deliver_task, one email after the other.
        started = time.perf_counter()
        for pk in ids:
            outbox.outbox_deliver(email_id=pk)
        outbox_seconds = time.perf_counter() - started
        sent = OutboundEmail.objects.filter(pk__in=ids, status="sent").count()
        assert sent == len(ids), (sent, len(ids))
        # Plain smtplib, the same rendered messages over one connection.
        messages = [outbox._build_message(row).message() for row in OutboundEmail.objects.filter(pk__in=ids)]
        before = sink.count
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for msg in messages:
                smtp.send_message(msg)
        plain_seconds = time.perf_counter() - started
        assert sink.count - before == len(ids)
    finally:
        controller.stop()
    outbox_rate, plain_rate = len(ids) / outbox_seconds, len(ids) / plain_seconds
    print(f"delivery through the outbox     {outbox_rate:8.0f} emails/s  ({len(ids)} emails, one worker)")
    print(f"plain smtplib, one connection   {plain_rate:8.0f} emails/s")
    print(f"ratio outbox / plain            {outbox_rate / plain_rate:8.2f}")
    print(f"{RECIPIENTS:,} notices delivered by one worker in about {RECIPIENTS / outbox_rate / 60:.1f} min")


if __name__ == "__main__":
    main()
