"""Delivery in batches: one claim, one SMTP connection and one task per batch; every row its own outcome, its own
accepted time and its own delivery events; a crash leaves untried rows as they were."""

import datetime as dt
import logging
import threading

import pytest
import time_machine
from django.db import connection, connections, transaction
from django.utils import timezone

from portal.core import enqueue as core_enqueue
from portal.delivery import events_bus as delivery_events
from portal.delivery import outbox
from portal.delivery import services as delivery
from portal.delivery import tasks as delivery_tasks
from portal.delivery.models import OutboundEmail
from portal.delivery.outbox import EMAIL, outbox_deliver_batch, outbox_due_ids
from tests.delivery import fake_smtp
from tests.support import smtp_sink

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
REF = "organisations.Organisation"


@pytest.fixture
def fake_smtp_server(settings, monkeypatch):
    settings.EMAIL_BACKEND = "tests.delivery.fake_smtp.CountingBackend"
    script = fake_smtp.Script()
    monkeypatch.setattr(fake_smtp, "SCRIPT", script)
    return script


@pytest.fixture
def events(monkeypatch):
    """(outcome, to, status at the event, delivered time, inside the status change's transaction) per event."""
    seen = []
    monkeypatch.setattr(delivery_events, "_delivered", {})
    monkeypatch.setattr(delivery_events, "_failed", {})
    for outcome in ("delivered", "failed"):
        delivery_events.on_delivery("email", outcome, REF)(
            lambda row, outcome=outcome: seen.append(
                (outcome, row.to_email, row.status, row.sent_at, connection.in_atomic_block)
            )
        )
    return seen


def _emails(n, *, prefix="dpo", **fields) -> list[OutboundEmail]:
    return [
        OutboundEmail.objects.create(
            idempotency_key=f"batch-{prefix}-{i}",
            to_email=f"{prefix}{i}@customer.example",
            subject=f"Notice {i}",
            body_text="Hello",
            ref_type=REF,
            ref_id="1",
            **fields,
        )
        for i in range(n)
    ]


def test_a_batch_is_sent_over_one_connection_each_row_with_its_own_accepted_time(fake_smtp_server, mailoutbox):
    rows = _emails(5)
    with time_machine.travel(START, tick=False) as clock:
        # each message takes the server a second to accept
        fake_smtp_server.on_send = lambda to: clock.shift(dt.timedelta(seconds=1))
        results = outbox_deliver_batch(email_ids=[row.pk for row in rows])
    assert results == {row.pk: "sent" for row in rows}
    assert (fake_smtp_server.opened, fake_smtp_server.closed) == (1, 1)
    assert [m.to for m in mailoutbox] == [[row.to_email] for row in rows]
    sent = OutboundEmail.objects.filter(pk__in=[row.pk for row in rows]).order_by("pk")
    # the legal record: each row was delivered when the server accepted THAT message, not when the batch ended
    assert [row.sent_at for row in sent] == [START + dt.timedelta(seconds=n) for n in range(1, 6)]
    assert {(row.status, row.attempts, row.locked_at) for row in sent} == {("sent", 1, None)}


def test_a_refused_recipient_mid_batch_retries_only_that_row(fake_smtp_server, events):
    rows = _emails(5)
    fake_smtp_server.refuse = {rows[2].to_email}
    with time_machine.travel(START, tick=False) as clock:
        fake_smtp_server.on_send = lambda to: clock.shift(dt.timedelta(seconds=1))
        results = outbox_deliver_batch(email_ids=[row.pk for row in rows])
    assert [results[row.pk] for row in rows] == ["sent", "sent", "retry", "sent", "sent"]
    assert fake_smtp_server.opened == 1  # the refusal did not cost the connection
    refused = OutboundEmail.objects.get(pk=rows[2].pk)
    assert (refused.status, refused.attempts, refused.sent_at) == ("queued", 1, None)
    assert refused.last_error.startswith("SMTPRecipientsRefused")
    assert refused.next_attempt_at == START + dt.timedelta(seconds=2 + outbox.BACKOFF_SECONDS[0])
    times = dict(OutboundEmail.objects.filter(status="sent").values_list("to_email", "sent_at"))
    assert times == {
        rows[0].to_email: START + dt.timedelta(seconds=1),
        rows[1].to_email: START + dt.timedelta(seconds=2),
        rows[3].to_email: START + dt.timedelta(seconds=3),
        rows[4].to_email: START + dt.timedelta(seconds=4),
    }
    # delivery events: once per delivered row, in the transaction that marked it, none for the retried one
    assert [e[0:2] for e in events] == [("delivered", rows[n].to_email) for n in (0, 1, 3, 4)]
    assert all(status == "sent" and at == times[to] and atomic for _, to, status, at, atomic in events)


def test_a_refused_recipient_on_its_last_attempt_fails_alone_and_is_told_once(fake_smtp_server, events, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    rows = _emails(3)
    fake_smtp_server.refuse = {rows[1].to_email}
    results = outbox_deliver_batch(email_ids=[row.pk for row in rows])
    assert [results[row.pk] for row in rows] == ["sent", "failed", "sent"]
    assert [(e[0], e[1]) for e in events] == [
        ("delivered", rows[0].to_email),
        ("failed", rows[1].to_email),
        ("delivered", rows[2].to_email),
    ]
    # and a second task for the same ids finds nothing to do: no event twice
    assert set(outbox_deliver_batch(email_ids=[row.pk for row in rows]).values()) == {"skipped"}
    assert len(events) == 3


def test_a_connection_dropped_mid_batch_is_opened_again_once_and_the_message_resent(fake_smtp_server, mailoutbox):
    rows = _emails(5)
    fake_smtp_server.drop = [rows[2].to_email]
    results = outbox_deliver_batch(email_ids=[row.pk for row in rows])
    assert set(results.values()) == {"sent"}
    assert fake_smtp_server.opened == 2
    assert fake_smtp_server.sent == [row.to_email for row in rows]  # each message accepted once
    assert set(OutboundEmail.objects.values_list("attempts", flat=True)) == {1}


def test_a_connection_that_cannot_be_opened_again_leaves_the_rest_of_the_batch_for_a_retry(fake_smtp_server):
    rows = _emails(5)
    # the connection drops at the third message, and the server then refuses new connections
    fake_smtp_server.drop = [rows[2].to_email]
    fake_smtp_server.down_after_drop = True
    results = outbox_deliver_batch(email_ids=[row.pk for row in rows])
    assert [results[row.pk] for row in rows] == ["sent", "sent", "retry", "retry", "retry"]
    assert fake_smtp_server.opened == 1
    left = OutboundEmail.objects.filter(pk__in=[row.pk for row in rows[2:]])
    assert {(row.status, row.attempts) for row in left} == {("queued", 1)}
    assert all(row.last_error.startswith("ConnectionRefusedError") for row in left)


def test_an_smtp_server_that_is_down_fails_the_batch_fast_with_one_try(fake_smtp_server):
    rows = _emails(4)
    fake_smtp_server.refuse_connections = 10
    results = outbox_deliver_batch(email_ids=[row.pk for row in rows])
    assert set(results.values()) == {"retry"}
    assert fake_smtp_server.refuse_connections == 8  # the first open and its one reconnect, not one per row


def test_the_claim_skips_rows_not_due_not_queued_or_locked_by_another_task(fake_smtp_server):
    due, later, sent = _emails(3)
    OutboundEmail.objects.filter(pk=later.pk).update(next_attempt_at=timezone.now() + dt.timedelta(minutes=5))
    OutboundEmail.objects.filter(pk=sent.pk).update(status="sent", sent_at=timezone.now())
    rows, held = delivery._claim(EMAIL, [due.pk, later.pk, sent.pk], timezone.now())
    assert [row.pk for row in rows] == [due.pk]
    assert held == []
    assert OutboundEmail.objects.get(pk=due.pk).status == "sending"
    assert OutboundEmail.objects.get(pk=due.pk).attempts == 0  # counted when it is sent, not when claimed
    assert OutboundEmail.objects.get(pk=later.pk).status == "queued"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_claim_skips_a_row_another_task_has_locked(fake_smtp_server):
    free, locked = _emails(2)
    holding, done = threading.Event(), threading.Event()

    def other_task():
        try:
            with transaction.atomic():
                OutboundEmail.objects.select_for_update().get(pk=locked.pk)
                holding.set()
                done.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_task)
    thread.start()
    try:
        assert holding.wait(10)
        results = outbox_deliver_batch(email_ids=[free.pk, locked.pk])
    finally:
        done.set()
        thread.join()
    assert results == {free.pk: "sent", locked.pk: "skipped"}
    assert OutboundEmail.objects.get(pk=locked.pk).status == "queued"
    assert fake_smtp_server.sent == [free.to_email]


def test_a_worker_killed_mid_batch_leaves_untried_rows_uncounted_for_the_sweep(fake_smtp_server):
    rows = _emails(4)

    def killed(to):
        if to == rows[1].to_email:
            raise SystemExit("SIGKILL")  # the worker dies while the server has the second message

    fake_smtp_server.on_send = killed
    with time_machine.travel(START, tick=False), pytest.raises(SystemExit):
        outbox_deliver_batch(email_ids=[row.pk for row in rows])
    state = {r.pk: (r.status, r.attempts) for r in OutboundEmail.objects.all()}
    # the first was accepted and recorded; the second was in flight (its attempt counted); the rest never tried
    assert [state[row.pk] for row in rows] == [("sent", 1), ("sending", 1), ("sending", 0), ("sending", 0)]
    with time_machine.travel(START + dt.timedelta(minutes=10), tick=False) as clock:
        assert outbox_due_ids() == [row.pk for row in rows[1:]]
        fake_smtp_server.on_send = None
        assert set(outbox_deliver_batch(email_ids=[row.pk for row in rows]).values()) == {"sent", "skipped"}
        clock.shift(dt.timedelta(seconds=1))
    # only the message in flight at the kill was claimed (and possibly sent) twice
    assert {r.pk: r.attempts for r in OutboundEmail.objects.all()} == {
        rows[0].pk: 1,
        rows[1].pk: 2,
        rows[2].pk: 1,
        rows[3].pk: 1,
    }


def test_a_row_the_sweep_took_back_mid_batch_is_not_sent_by_the_old_batch(fake_smtp_server):
    rows = _emails(3)

    def sweep_takes_the_last_back(to):
        if to == rows[0].to_email:
            # the sweep put it back and another task claimed it: the row is sending again, under another token
            OutboundEmail.objects.filter(pk=rows[2].pk).update(locked_at=timezone.now() + dt.timedelta(seconds=1))

    fake_smtp_server.on_send = sweep_takes_the_last_back
    results = outbox_deliver_batch(email_ids=[row.pk for row in rows])
    assert [results[row.pk] for row in rows] == ["sent", "sent", "skipped"]
    assert rows[2].to_email not in fake_smtp_server.sent
    assert OutboundEmail.objects.get(pk=rows[2].pk).attempts == 0


def test_a_batch_running_past_half_the_stuck_time_hands_its_untried_rows_back(fake_smtp_server, settings):
    settings.OUTBOX_STUCK_AFTER = dt.timedelta(0)
    rows = _emails(3)
    results = outbox_deliver_batch(email_ids=[row.pk for row in rows])
    assert set(results.values()) == {"deferred"}
    assert {(r.status, r.attempts, r.locked_at) for r in OutboundEmail.objects.all()} == {("queued", 0, None)}
    assert fake_smtp_server.sent == []


def test_one_connection_per_batch_on_a_real_smtp_server(settings):
    rows = _emails(20)
    with smtp_sink() as (sink, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        sessions = []
        real = sink.handle_DATA

        async def counting(server, session, envelope):
            sessions.append(id(session))
            return await real(server, session, envelope)

        sink.handle_DATA = counting
        results = outbox_deliver_batch(email_ids=[row.pk for row in rows])
    assert set(results.values()) == {"sent"}
    assert len(sink.messages) == 20
    assert len(set(sessions)) == 1


def test_the_task_enqueues_retries_due_soon_as_one_batch(fake_smtp_server, monkeypatch):
    rows = _emails(4)
    fake_smtp_server.refuse = {rows[0].to_email, rows[3].to_email}
    scheduled = []
    monkeypatch.setattr(
        delivery_tasks.outbox_deliver_batch_task,
        "apply_async",
        lambda args, countdown: scheduled.append((args, countdown)),
    )
    with time_machine.travel(START, tick=False):
        counts = delivery_tasks.outbox_deliver_batch_task([row.pk for row in rows])
    assert counts == {"retry": 2, "sent": 2}
    assert scheduled == [(([rows[0].pk, rows[3].pk],), outbox.BACKOFF_SECONDS[0] + 1)]


def test_the_single_email_task_of_old_broker_messages_still_delivers(fake_smtp_server):
    [row] = _emails(1)
    assert delivery_tasks.outbox_deliver_task(row.pk) == "sent"
    assert delivery_tasks.outbox_deliver_task(row.pk) == "skipped"


def test_the_sweep_enqueues_batches(monkeypatch, settings):
    settings.OUTBOX_BATCH_SIZE = 2
    rows = _emails(5)
    queued = []
    monkeypatch.setattr(delivery_tasks.outbox_deliver_batch_task, "delay", lambda ids: queued.append(ids))
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2), tick=False):
        assert delivery_tasks.outbox_sweep() == 5
    assert queued == [[rows[0].pk, rows[1].pk], [rows[2].pk, rows[3].pk], [rows[4].pk]]


def test_queued_emails_are_enqueued_one_task_per_batch(monkeypatch, settings, django_capture_on_commit_callbacks):
    settings.OUTBOX_BATCH_SIZE = 200
    queued = []
    monkeypatch.setattr(delivery_tasks.outbox_deliver_batch_task, "delay", lambda ids: queued.append(ids))
    drafts = [outbox.EmailDraft(key=f"many-{i}", to=f"r{i}@x.example", subject="s", text="t") for i in range(450)]
    with django_capture_on_commit_callbacks(execute=True):
        rows = outbox.email_queue_many(drafts=drafts)
    assert [len(ids) for ids in queued] == [200, 200, 50]
    assert [pk for ids in queued for pk in ids] == [row.pk for row in rows]


def test_enqueue_stops_at_the_first_broker_error(monkeypatch, caplog, django_capture_on_commit_callbacks):
    caplog.set_level(logging.WARNING, logger="portal.core.enqueue")
    calls = []

    class Down:
        def delay(self, ids):
            calls.append(ids)
            raise ConnectionError("broker down")

    monkeypatch.setattr(core_enqueue, "task", lambda name: Down())
    with django_capture_on_commit_callbacks(execute=True):
        core_enqueue.enqueue_batches_on_commit("x", list(range(10)), size=3, what="email(s)")
    assert calls == [[0, 1, 2]]
    assert "Could not enqueue 10 email(s)" in caplog.text


def test_the_engine_keeps_one_row_at_a_time_for_other_callers(fake_smtp_server):
    [row] = _emails(1)
    assert delivery.deliver(EMAIL, row.pk) == delivery.DELIVERED
    assert fake_smtp_server.opened == 1


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="synchronous_commit is PostgreSQL's")
def test_a_batch_waits_for_the_disk_at_its_end_and_leaves_the_connection_as_it_found_it(fake_smtp_server, settings):
    settings.DELIVERY_FLUSH_INTERVAL_MS = 60_000
    rows = _emails(3)
    seen = []
    fake_smtp_server.on_send = lambda to: seen.append(_synchronous_commit())
    before = _synchronous_commit()
    outbox_deliver_batch(email_ids=[row.pk for row in rows])
    # within the interval only the batch's last record waits for the disk (and with it every earlier one)
    assert seen == ["off", "off", "on"]
    assert _synchronous_commit() == before
    # and with the interval at 0, every commit waits
    settings.DELIVERY_FLUSH_INTERVAL_MS = 0
    seen.clear()
    outbox_deliver_batch(email_ids=[row.pk for row in _emails(2, prefix="strict")])
    assert seen == ["on", "on"]
