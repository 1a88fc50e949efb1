"""Email delivery rate: a real Celery worker delivering a change notice to BENCH_DELIVER (2,000) recipients.

Production settings, the broker in Redis (BENCH_CELERY_REDIS_URL, db 13), `celery worker -c2` started like the
image's worker role, and a local SMTP server (aiosmtpd) in its own process that accepts and counts every message.
A change is announced through `change_announce`; the worker fans it out and delivers the emails. Timed: from the
announcement (its commit is the first enqueue) to the last message the SMTP server accepted, as emails/s.

Reference, same run, worker stopped: plain smtplib sending the very messages the SMTP server received (their bytes,
senders and recipients) over one connection. Target: the worker's rate >= 0.5x the reference's.
A small announcement first warms the worker up (its imports and templates), as a running worker would be.
"""

from __future__ import annotations

import smtplib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h  # noqa: E402

TARGET = 0.5


def announce_and_wait(sink: h.SmtpSink, name: str, expected: int, timeout: float) -> float:
    """Announce a change and wait for `expected` more accepted messages; seconds from announce to the last one."""
    before = sink.accepted
    started = time.time()
    h.announce(h.draft_change(name))
    h.wait_until(
        lambda: sink.accepted - before >= expected,
        timeout=timeout,
        what=f"{expected:,} emails at the SMTP server (got {sink.accepted - before:,})",
        interval=0.05,
    )
    return sink.last_at.value - started


def plain_smtplib(port: int, messages: list[tuple[str, list[str], bytes]]) -> float:
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for sender, recipients, data in messages:
            smtp.sendmail(sender, recipients, data)
    return time.perf_counter() - started


def main() -> None:
    deliver = h.env_int("BENCH_DELIVER", 2_000)
    timeout = h.env_int("BENCH_DELIVERY_TIMEOUT", 900)
    concurrency = h.env_int("BENCH_WORKER_CONCURRENCY", 2)
    database = h.database_url()
    redis = h.redis_url("BENCH_CELERY_REDIS_URL", h.DEFAULT_CELERY_REDIS_URL)
    print(f"machine: {h.machine()}")
    with (
        h.workdir("delivery") as wd,
        h.scratch_database(database),
        h.SmtpSink(wd) as sink,
        h.Children(wd) as children,
    ):
        env = h.production_env(
            database=database,
            redis=redis,
            workdir=wd,
            CELERY_TASK_ALWAYS_EAGER="0",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(sink.port),
            EMAIL_USE_TLS="0",
            EMAIL_USE_SSL="0",
        )
        h.redis_flush(redis)
        try:
            h.setup_django(env)
            h.migrate()
            worker = children.start("worker", h.celery_worker_args(concurrency), env)
            h.wait_for_worker(worker)
            warm = h.seed_recipients(10)
            announce_and_wait(sink, "Bench Warmup", warm, timeout)
            have = h.seed_recipients(deliver)
            sink.start_capture()
            seconds = announce_and_wait(sink, "Bench Delivery", have, timeout)
            messages = sink.captured()
            children.stop(worker)
            reference = plain_smtplib(sink.port, messages)
        finally:
            h.redis_flush(redis)
    rate, plain = have / seconds, len(messages) / reference
    ratio = rate / plain
    print(f"\n{have:,} emails (one change notice), worker -c{concurrency}, SMTP server aiosmtpd on 127.0.0.1")
    h.print_table(
        ["path", "seconds", "emails/s", "vs smtplib", "target"],
        [
            [
                "announce -> worker -> last email accepted",
                f"{seconds:.2f}",
                f"{rate:,.0f}",
                f"{ratio:.2f}x",
                f">= {TARGET}x {h.verdict(ratio, TARGET)}",
            ],
            ["plain smtplib, same messages, one connection", f"{reference:.2f}", f"{plain:,.0f}", "1.00x", ""],
        ],
    )
    print(f"{have:,} notices in {seconds / 60:.1f} min; 10,000 would take about {10_000 / rate / 60:.1f} min")
    h.dump_json(
        "delivery",
        {"machine": h.machine(), "emails": have, "seconds": seconds, "reference_seconds": reference, "ratio": ratio},
    )


if __name__ == "__main__":
    h.run(main)
