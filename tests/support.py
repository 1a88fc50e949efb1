"""Helpers for tests that run real processes: an SMTP sink and a Celery worker."""

import os
import socket
import subprocess
import sys
import time
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
    """Collects messages; refuses a share of them when `refuse_every` is set."""

    def __init__(self, refuse_every: int = 0):
        self.messages: list = []
        self.refuse_every = refuse_every
        self.seen = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.seen += 1
        if self.refuse_every and self.seen % self.refuse_every == 0:
            return "451 Try again later"
        self.messages.append(envelope)
        return "250 OK"


@contextmanager
def smtp_sink(refuse_every: int = 0):
    handler = SinkHandler(refuse_every)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


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
def celery_worker(env: dict, queue: str, concurrency: int = 1):
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
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
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
