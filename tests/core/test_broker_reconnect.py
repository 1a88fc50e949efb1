"""Why a worker running when Redis went away stopped for good, replayed without a worker: the cleanup Celery's
consumer does after a connection loss (`Consumer.on_connection_error_after_connected`), on a connection holding
what a busy worker holds — a message of a running task, not yet acknowledged (acks_late), and a remote-control
broadcast queue (fanout, auto-delete) on another channel."""

import pytest
from kombu import Connection, Exchange, Queue
from kombu.common import ignore_errors
from kombu.transport import redis as kombu_redis

import portal.celery
from tests.support import redis_server


def _busy_worker_connection(url: str) -> Connection:
    conn = Connection(url)
    tasks = conn.default_channel
    control = conn.channel()
    Queue("celery", channel=tasks).declare()
    tasks.basic_consume("celery", False, lambda message: None, "tasks")
    Queue("worker.pidbox", Exchange("celery.pidbox", type="fanout"), auto_delete=True, channel=control).declare()
    control.basic_consume("worker.pidbox", True, lambda message: None, "control")
    try:
        conn.drain_events(timeout=0.2)  # waiting for the next task (BRPOP in flight)
    except TimeoutError:
        pass
    tasks.qos._delivered["running-task"] = object()  # a task that is running, not yet acknowledged
    return conn


def _cleanup_after_connection_loss(conn: Connection) -> None:
    conn.collect(socket_timeout=1)
    ignore_errors(conn, conn.close)


@pytest.fixture
def unguarded(monkeypatch):
    original = kombu_redis.Channel._connparams
    monkeypatch.setattr(kombu_redis.Channel, "_connparams", original.__wrapped__)


def test_without_the_guard_the_cleanup_raises_what_celery_treats_as_fatal(unguarded):
    with redis_server() as redis:
        conn = _busy_worker_connection(redis.url)
        redis.stop()
        with pytest.raises(AttributeError, match="hostname"):
            _cleanup_after_connection_loss(conn)


def test_with_the_guard_the_cleanup_finishes_so_the_worker_reconnects():
    assert kombu_redis.Channel._connparams.portal_guard
    with redis_server() as redis:
        conn = _busy_worker_connection(redis.url)
        redis.stop()
        _cleanup_after_connection_loss(conn)  # no exception: Celery goes on to reconnect
        # and a new connection works once Redis is back
        redis.start()
        with Connection(redis.url) as fresh:
            fresh.default_channel.client.ping()


def test_the_guard_is_installed_once():
    guarded = kombu_redis.Channel._connparams
    portal.celery.guard_redis_channel_close()
    assert kombu_redis.Channel._connparams is guarded


def test_a_healthy_channel_still_connects_with_the_guard():
    with redis_server() as redis, Connection(redis.url) as conn:
        queue = conn.SimpleQueue("guard-check")
        queue.put({"ok": True})
        assert queue.get(timeout=2).payload == {"ok": True}
        queue.close()
