"""Helpers for tests that run real processes: an SMTP sink and a Celery worker."""

import asyncio
import logging
import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from aiosmtpd.controller import Controller
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SinkHandler:
    """Collects messages; refuses every n-th (`refuse_every`) or a random share (`refuse_ratio`) of them.

    A message to an address in `hold_for` is held (the sender waits for the server's answer) until `release` is
    set: a worker stays in the middle of a send for as long as a test needs."""

    def __init__(self, refuse_every: int = 0, refuse_ratio: float = 0.0, seed: int = 7, delay: float = 0.0):
        self.messages: list = []
        self.delay = delay  # seconds each message takes to be accepted, like a real mail server
        self.refuse_every = refuse_every
        self.refuse_ratio = refuse_ratio
        self.random = random.Random(seed)
        self.seen = 0
        self.refused = 0
        self.hold_for: set[str] = set()
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.hold_for.intersection(envelope.rcpt_tos):
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        self.seen += 1
        every = self.refuse_every and self.seen % self.refuse_every == 0
        if every or (self.refuse_ratio and self.random.random() < self.refuse_ratio):
            self.refused += 1
            return "451 Try again later"
        self.messages.append(envelope)
        return "250 OK"


# aiosmtpd logs every SMTP command at INFO; the fault tests print their own figures instead.
logging.getLogger("mail.log").setLevel(logging.WARNING)


@contextmanager
def smtp_sink(refuse_every: int = 0, refuse_ratio: float = 0.0, delay: float = 0.0):
    handler = SinkHandler(refuse_every, refuse_ratio, delay=delay)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


@contextmanager
def celery_broker(url: str):
    """Send this process's tasks to a real Redis (not in-process), on a queue only the test's worker reads."""
    from portal import celery_app

    queue = f"test-{uuid.uuid4().hex[:8]}"
    saved = {k: celery_app.conf[k] for k in ("task_always_eager", "broker_url", "task_default_queue")}
    celery_app.conf.update(task_always_eager=False, broker_url=url, task_default_queue=queue)
    _reset_connections(celery_app)
    try:
        yield queue
    finally:
        celery_app.conf.update(saved)
        _reset_connections(celery_app)


def _reset_connections(app):
    from kombu import pools

    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    # kombu keeps producer pools in a global registry keyed by broker URL; a later test on the same URL
    # would otherwise get the pool closed above ("Acquire on closed pool").
    pools.reset()


def worker_env(*, smtp_port: int, queue: str, redis_url: str) -> dict:
    db = connection.settings_dict
    env = dict(os.environ)
    env.update(
        DATABASE_URL=(
            f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        REDIS_URL=redis_url,
        CELERY_TASK_ALWAYS_EAGER="0",
        CELERY_QUEUE=queue,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        DEBUG="1",
        CONN_MAX_AGE="0",
    )
    env.pop("EMAIL_HOST", None)
    return env


@contextmanager
def celery_worker(env: dict, queue: str, concurrency: int = 1, name: str = ""):
    """A real worker in its own process group, so a test can SIGKILL it with all its pool processes. Give workers
    that run at the same time a `name` each, so remote control (ping, stats) can tell them apart."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "-Q",
            queue,
            "-c",
            str(concurrency),
            "--pool",
            "prefork",
            "-l",
            os.environ.get("TEST_WORKER_LOGLEVEL", "WARNING"),
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            *(["-n", f"{name}@%h"] if name else []),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_for(predicate, timeout: float = 60, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


@contextmanager
def redis_server():
    """A Redis of the test's own on a free port, so a test can stop it without touching anyone else's."""
    port = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = RedisServer(proc, port)
    assert wait_for(server.is_up, timeout=10), "redis-server did not start"
    try:
        yield server
    finally:
        server.stop()


class RedisServer:
    def __init__(self, proc, port):
        self.proc = proc
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"

    def is_up(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_for(self.is_up, timeout=10), "redis-server did not restart"
