"""A site scaled out: two web processes (two gunicorn masters on two ports) and two Celery workers against one
PostgreSQL database and one Redis. Legal staff announce sub-processor changes through both web processes (the staff
change page, as in a browser), both workers deliver the notices, and each notice reaches the mail server once. Then
the same with one worker SIGKILLed mid-run: the other worker and the beat sweeps finish the rest, each notice still
sent under one Message-ID only."""

import datetime as dt
import os
import signal
import time
from collections import Counter
from contextlib import ExitStack
from email.parser import BytesHeaderParser
from types import SimpleNamespace

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string

from portal.celery import app as celery_app
from portal.deadlines.calendar import add_business_days, local_date
from portal.delivery.models import OutboundEmail
from portal.delivery.tasks import outbox_sweep
from subprocessors.changes.models import ChangeRecipient
from subprocessors.changes.tasks import change_fanout_sweep
from tests.auth import login
from tests.changes.factories import bulk_organisations, make_change
from tests.support import celery_broker, celery_worker, redis_server, smtp_sink, wait_for, worker_env
from tests.web_server import gunicorn_server

pytestmark = [pytest.mark.faults, pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ORGANISATIONS = 50
CHANGES = 4
NOTICES = ORGANISATIONS * CHANGES  # one announcement per organisation's privacy contact per change
CONCURRENCY = 2  # pool processes per worker
SMTP_SECONDS = 0.05  # the mail server takes this long to accept a message, like a real one
OUTBOX_TASK = "portal.delivery.tasks.outbox_deliver_batch_task"
WORKERS = ("worker-a", "worker-b")


def _notices():
    return OutboundEmail.objects.filter(template="subprocessor_change_announce")


@pytest.fixture
def site(client, legal):
    """Redis, an SMTP sink, two named workers and two gunicorn masters (one process each), all started; the
    changes drafted and legal staff signed in (with MFA), their session usable on either web process."""
    bulk_organisations(ORGANISATIONS, prefix="scale")
    changes = [make_change() for _ in range(CHANGES)]
    login(client, legal)
    with ExitStack() as stack:
        redis = stack.enter_context(redis_server())
        sink, port = stack.enter_context(smtp_sink(delay=SMTP_SECONDS))
        queue = stack.enter_context(celery_broker(redis.url))
        env = worker_env(smtp_port=port, queue=queue, redis_url=redis.url)
        workers = {name: stack.enter_context(celery_worker(env, queue, CONCURRENCY, name=name)) for name in WORKERS}
        webs = [stack.enter_context(gunicorn_server(env, workers=1)) for _ in range(2)]
        assert wait_for(lambda: len(_worker_names()) == len(WORKERS), timeout=60), "the workers did not answer"
        yield SimpleNamespace(
            sink=sink,
            workers=workers,
            webs=webs,
            changes=changes,
            session=client.cookies[settings.SESSION_COOKIE_NAME].value,
        )


def _worker_names() -> dict[str, str]:
    """Short name ("worker-a") → full node name, of the workers answering a ping."""
    replies = celery_app.control.ping(timeout=1)
    return {node.split("@")[0]: node for reply in replies for node in reply}


def _tasks_run(names: list[str]) -> dict[str, int]:
    """Delivery tasks each named worker has run (delivered, or found done and skipped)."""
    nodes = _worker_names()
    stats = celery_app.control.inspect(destination=[nodes[n] for n in names], timeout=3).stats() or {}
    return {name: stats.get(nodes[name], {}).get("total", {}).get(OUTBOX_TASK, 0) for name in names}


def _announce_through_both_web_processes(site) -> Counter:
    """POST the staff announce form of each change, alternating between the two web processes."""
    csrf = get_random_string(32)
    cookie = f"{settings.SESSION_COOKIE_NAME}={site.session}; {settings.CSRF_COOKIE_NAME}={csrf}"
    effective = add_business_days(local_date(timezone.now()), 12).isoformat()
    served = Counter()
    for i, change in enumerate(site.changes):
        web = site.webs[i % 2]
        response = web.request(
            "POST",
            reverse("changes:staff_announce", args=[change.public_id]),
            headers={"Cookie": cookie},
            form={"effective_date": effective, "csrfmiddlewaretoken": csrf},
        )
        assert response.status == 302, response.body[:2000]
        assert response.headers["Location"] == reverse("changes:staff_detail", args=[change.public_id])
        served[f"web :{web.port}"] += 1
    return served


def _copies(sink) -> tuple[Counter, dict[str, list[str]]]:
    """Copies received per Message-ID, and the recipients of each Message-ID."""
    copies, recipients = Counter(), {}
    for envelope in sink.messages:
        message_id = "".join(BytesHeaderParser().parsebytes(envelope.content)["Message-ID"].split())  # unfolded
        copies[message_id] += 1
        recipients[message_id] = list(envelope.rcpt_tos)
    return copies, recipients


def _all_sent() -> bool:
    return _notices().filter(status=OutboundEmail.Status.SENT).count() == NOTICES


def _wait_until_all_sent(site, *, timeout: float = 600) -> int:
    """Wait for every notice to be sent, running what beat runs every minute in case a task was lost. Returns the
    number of those sweeps that found work."""
    last_sweep = [time.monotonic()]
    found = [0]

    def done():
        if _all_sent():
            return True
        if time.monotonic() - last_sweep[0] > 60:
            found[0] += bool(change_fanout_sweep() + outbox_sweep())
            last_sweep[0] = time.monotonic()
        return False

    if not wait_for(done, timeout=timeout, interval=1):
        for proc in site.workers.values():
            proc.terminate()
        logs = {name: proc.stdout.read().decode(errors="replace")[-3000:] for name, proc in site.workers.items()}
        pytest.fail(f"{_notices().filter(status='sent').count()} of {NOTICES} sent; worker output: {logs}")
    return found[0]


def _assert_each_recipient_had_one_notice_per_change(rows, recipients):
    assert len({(row.to_email, row.ref_id) for row in rows}) == NOTICES
    assert all(recipients[row.message_id] == [row.to_email] for row in rows)
    assert not ChangeRecipient.objects.filter(notice_delivered_at__isnull=True).exists()


def test_two_web_processes_and_two_workers_deliver_every_notice_once(site):
    started = time.monotonic()
    # when legal staff announce the changes, half through each web process
    served = _announce_through_both_web_processes(site)
    # then both workers deliver, and no sweep is needed
    if not wait_for(_all_sent, timeout=600, interval=1):
        pytest.fail(f"{_notices().filter(status='sent').count()} of {NOTICES} sent without a sweep")
    seconds = time.monotonic() - started
    tasks = _tasks_run(list(WORKERS))

    rows = list(_notices())
    copies, recipients = _copies(site.sink)
    assert len(rows) == NOTICES
    assert set(copies) == {row.message_id for row in rows}  # every row reached the mail server, nothing else did
    assert set(copies.values()) == {1}  # and exactly once
    assert {row.attempts for row in rows} == {1}  # each claimed once and marked sent once
    _assert_each_recipient_had_one_notice_per_change(rows, recipients)
    assert all(n > 0 for n in tasks.values()), tasks  # both workers took part
    print(
        f"\n[faults] scale-out: {CHANGES} changes announced through 2 web processes ({dict(served)}), "
        f"{NOTICES} notices to {ORGANISATIONS} organisations; delivery tasks run per worker {tasks}; "
        f"{len(site.sink.messages)} messages received, {len(copies)} Message-IDs, none twice; {seconds:.1f}s"
    )


def test_one_of_two_workers_killed_the_other_and_the_sweeps_finish_every_notice_once(site):
    started = time.monotonic()
    served = _announce_through_both_web_processes(site)
    # when a quarter of the notices are out, worker-a dies by SIGKILL (with its pool processes)
    assert wait_for(lambda: _notices().filter(status="sent").count() >= NOTICES // 4, timeout=300, interval=0.1)
    killed = site.workers["worker-a"]
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait(timeout=10)
    at_kill = {"created": _notices().count(), "sent": _notices().filter(status="sent").count()}

    # then worker-b goes on alone until nothing changes for 3 seconds; what the dead worker held stays stranded
    previous = [None]

    def settled():
        state = (sorted(Counter(_notices().values_list("status", flat=True)).items()), len(site.sink.messages))
        same, previous[0] = state == previous[0], state
        return same

    assert wait_for(settled, timeout=300, interval=3)
    stranded = Counter(_notices().exclude(status="sent").values_list("status", flat=True))
    stranded["not created"] = NOTICES - _notices().count()
    # and beat's sweeps (run here, the clock past OUTBOX_STUCK_MINUTES) hand the stranded notices to worker-b
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=10)):
        swept = {"fan-outs": change_fanout_sweep(), "emails": outbox_sweep()}
    later_sweeps = _wait_until_all_sent(site)
    seconds = time.monotonic() - started
    tasks = _tasks_run(["worker-b"])

    rows = list(_notices())
    copies, recipients = _copies(site.sink)
    assert len(rows) == NOTICES
    assert set(copies) == {row.message_id for row in rows}
    _assert_each_recipient_had_one_notice_per_change(rows, recipients)
    # A second copy (same Message-ID) only of a message the dead worker was sending when it died: the mail server
    # had it, the database had not heard yet. One at most per pool process.
    resent = {message_id for message_id, n in copies.items() if n > 1}
    claimed_again = {row.message_id for row in rows if row.attempts > 1}
    assert resent <= claimed_again
    assert len(claimed_again) <= CONCURRENCY
    assert max(copies.values()) <= 2
    print(
        f"\n[faults] scale-out, one worker SIGKILLed: {NOTICES} notices announced through 2 web processes "
        f"({dict(served)}); at the kill {at_kill['created']} created and {at_kill['sent']} sent; worker-b alone "
        f"left {dict(stranded)} stranded; the sweeps re-queued {swept} (+{later_sweeps} later sweeps with work); "
        f"all {NOTICES} sent, {len(claimed_again)} sent again after the kill, {len(resent)} reached the mail server "
        f"twice with the same Message-ID; worker-b ran {tasks['worker-b']} delivery tasks; {seconds:.1f}s"
    )
