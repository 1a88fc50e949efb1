"""Fan-out and delivery with the real Celery enqueue and a real worker (nothing stubbed).

1. Fan-out: a change announced to BENCH_RECIPIENTS (default 10000) addresses; `change_fanout` runs in-process with
   every delivery task really sent to Redis (the queue is read by no one, then deleted), beside a bare
   `bulk_create` of the same outbox rows in the same batches.
2. Delivery: BENCH_DELIVER (default 5000) of those emails delivered by a real `celery worker -c BENCH_CONCURRENCY`
   (default 2) to a local aiosmtpd sink, beside plain smtplib sending the same messages over one connection.

Needs DATABASE_URL (PostgreSQL; a throw-away database BENCH_DB_NAME is created and dropped) and REDIS_URL (the
broker; a queue of its own). Prints one line per figure and the two ratios the delivery targets are about.
"""

import datetime as dt
import logging
import os
import smtplib
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
QUEUE = f"bench-{uuid.uuid4().hex[:8]}"
os.environ["CELERY_QUEUE"] = QUEUE

import django  # noqa: E402

django.setup()

from aiosmtpd.controller import Controller  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

RECIPIENTS = int(os.environ.get("BENCH_RECIPIENTS", "10000"))
DELIVER = int(os.environ.get("BENCH_DELIVER", "5000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "2"))
DB_NAME = os.environ.get("BENCH_DB_NAME", "portal_batch_bench")


class Sink:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.count += 1
        return "250 OK"


def main() -> None:
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO
    if connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"):
        print("bench/batch.py needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)")
        return
    setup_test_environment()
    connection.settings_dict.setdefault("TEST", {})["NAME"] = DB_NAME
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        change = fanout_bench()
        delivery_bench(change)
    finally:
        _purge_queue()
        connection.creation.destroy_test_db(old_name, verbosity=0)


def _purge_queue() -> None:
    from portal import celery_app

    with celery_app.connection_for_write() as conn:
        conn.default_channel.client.delete(QUEUE)


def _queued() -> int:
    from portal import celery_app

    with celery_app.connection_for_write() as conn:
        return conn.default_channel.client.llen(QUEUE)


def fanout_bench():
    from portal.delivery.models import OutboundEmail
    from portal.organisations.models import Organisation
    from subprocessors.changes import fanout
    from subprocessors.changes.models import SubprocessorChange
    from subprocessors.changes.services import change_announce
    from subprocessors.listing.models import Subprocessor, Subscriber

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
    with transaction.atomic():
        change_announce(change=change, effective_date=None, actor=None)
    _purge_queue()  # the fan-out task itself: run in-process below

    started = time.perf_counter()
    created = fanout.change_fanout(change_id=change.pk, notice="announce")
    fanout_seconds = time.perf_counter() - started
    assert created == RECIPIENTS, (created, RECIPIENTS)
    messages = _queued()
    _purge_queue()

    # The same rows again (new keys), inserted bare in the same batches, one transaction each.
    rows = list(OutboundEmail.objects.filter(ref_id=str(change.pk)).order_by("id"))
    for row in rows:
        row.pk = None
        row.idempotency_key = "copy:" + row.idempotency_key
        row.message_id = row.message_id.replace("@", ".copy@")
    batch = settings.CHANGE_FANOUT_BATCH
    started = time.perf_counter()
    for i in range(0, len(rows), batch):
        with transaction.atomic():
            OutboundEmail.objects.bulk_create(rows[i : i + batch], batch_size=1000)
    bulk_seconds = time.perf_counter() - started
    OutboundEmail.objects.filter(idempotency_key__startswith="copy:").delete()

    print(f"recipients                              {RECIPIENTS}")
    print(f"fan-out with the real enqueue           {fanout_seconds:8.2f} s  ({messages} broker messages)")
    print(f"bare bulk_create of the same rows       {bulk_seconds:8.2f} s  (batches of {batch})")
    print(f"ratio fan-out / bulk_create             {fanout_seconds / bulk_seconds:8.2f}")
    return change


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(port: int) -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
        f"{db['NAME']}",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_QUEUE": QUEUE,
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("EMAIL_HOST", None)
    command = [sys.executable, "-m", "celery", "-A", "portal", "worker", "-Q", QUEUE, "-c", str(CONCURRENCY)]
    command += ["--pool", "prefork", "-l", os.environ.get("BENCH_WORKER_LOGLEVEL", "WARNING")]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    log = open(os.environ.get("BENCH_WORKER_LOG", os.devnull), "w")  # noqa: SIM115 - open for the worker's life
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _wait_for_worker() -> None:
    from portal import celery_app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if celery_app.control.ping(timeout=1):
            return
    raise RuntimeError("the worker did not start")


def delivery_bench(change) -> None:
    from portal.delivery import enqueue, outbox
    from portal.delivery.models import OutboundEmail

    ids = list(OutboundEmail.objects.filter(ref_id=str(change.pk)).order_by("id").values_list("id", flat=True))
    ids = ids[:DELIVER]
    sink = Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    worker = _worker(port)
    try:
        _wait_for_worker()
        started = time.perf_counter()
        with transaction.atomic():
            enqueue.emails_deliver(ids)
        # polled cheaply and not too often: the sink shares this process
        sent = OutboundEmail.objects.filter(status="sent")
        deadline = time.monotonic() + 900
        while sent.count() < len(ids) and time.monotonic() < deadline:
            time.sleep(0.2)
        worker_seconds = time.perf_counter() - started
        assert sent.count() == len(ids), (sent.count(), len(ids))

        messages = [outbox._build_message(row).message() for row in OutboundEmail.objects.filter(pk__in=ids)]
        before = sink.count
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for msg in messages:
                smtp.send_message(msg)
        plain_seconds = time.perf_counter() - started
        assert sink.count - before == len(ids)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        controller.stop()
    worker_rate, plain_rate = len(ids) / worker_seconds, len(ids) / plain_seconds
    print(f"delivery, celery worker -c{CONCURRENCY}            {worker_rate:8.0f} emails/s  ({len(ids)} emails)")
    print(f"plain smtplib, one connection           {plain_rate:8.0f} emails/s")
    print(f"ratio worker / plain                    {worker_rate / plain_rate:8.2f}")


if __name__ == "__main__":
    main()
