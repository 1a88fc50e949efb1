"""Announcing a sub-processor change to BENCH_RECIPIENTS (10,000) recipients, with the real enqueue.

Production settings, Celery not eager, the broker in Redis (BENCH_CELERY_REDIS_URL, db 12 by default is the web
benchmarks', so db 13). No worker runs: the announcement's commit puts the fan-out task on the broker like in
production; this process then takes the messages that the announcement queued off the broker and runs each through
Celery (`Task.apply`: the code a worker runs for that message, without the fetch). Whatever those tasks enqueue,
the email deliveries, stays on the broker and is counted there (LLEN of the queue), so the figure includes the real
enqueue of every delivery, and it holds whatever task names, batching or order the code uses.

Timed: from calling `change_announce` to every outbox row committed and every delivery message in Redis.
Reference, same run: `OutboundEmail.objects.bulk_create` of the same rows (copies of the emails just created:
same sizes, new idempotency keys), 1,000 per INSERT like the outbox's own bulk insert. Target: <= 2x.
"""

from __future__ import annotations

import base64
import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h  # noqa: E402

TARGET = 2.0
REFERENCE_RUNS = 3


def queue_key() -> str:
    from django.conf import settings  # noqa: PLC0415

    return settings.CELERY_TASK_DEFAULT_QUEUE


def redis_client():
    import redis  # noqa: PLC0415
    from django.conf import settings  # noqa: PLC0415

    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


def decode(raw: bytes) -> tuple[str, list, dict]:
    """A Celery (protocol 2) message as kombu's Redis transport stores it: task name, args, kwargs."""
    message = json.loads(raw)
    body = message["body"]
    if message.get("properties", {}).get("body_encoding") == "base64":
        body = base64.b64decode(body)
    args, kwargs, _embed = json.loads(body)
    return message["headers"]["task"], args, kwargs


def run_queued(client, key: str) -> list[str]:
    """Take the messages now on the queue (oldest first) and run each as a worker would. Returns their names."""
    from celery import current_app  # noqa: PLC0415

    names = []
    for _ in range(client.llen(key)):
        raw = client.rpop(key)  # kombu pushes on the left and workers pop on the right
        if raw is None:
            break
        name, args, kwargs = decode(raw)
        result = current_app.tasks[name].apply(args=args, kwargs=kwargs)
        if result.failed():
            raise h.BenchError(f"{name} failed: {result.result!r}")
        names.append(name)
    return names


def queued_names(client, key: str) -> Counter:
    return Counter(decode(raw)[0].rsplit(".", 1)[-1] for raw in client.lrange(key, 0, -1))


def copy_row(row, suffix: str):
    """The same email as a new row (same sizes; only the unique idempotency key differs)."""
    from django.forms.models import model_to_dict  # noqa: PLC0415

    data = model_to_dict(row, exclude=["id"])
    data["organisation_id"] = data.pop("organisation", None)
    copy = type(row)(**data)
    copy.idempotency_key = row.idempotency_key[:180] + suffix
    return copy


def warm_up() -> None:
    """One small announcement first, run like the measured one: a running worker has imported its modules and
    compiled the email templates long before a real announcement, so the measured run must not pay for that."""
    client, key = redis_client(), queue_key()
    h.seed_recipients(10)
    h.announce(h.draft_change("Bench Warmup"))
    run_queued(client, key)
    client.delete(key)


def fanout(recipients: int) -> dict:
    from django.conf import settings  # noqa: PLC0415
    from django.db import transaction  # noqa: PLC0415

    from portal.delivery.models import OutboundEmail  # noqa: PLC0415

    client, key = redis_client(), queue_key()
    change = h.draft_change("Bench Fanout")
    client.delete(key)
    started = time.perf_counter()
    h.announce(change)
    ran = run_queued(client, key)
    elapsed = time.perf_counter() - started
    rows = OutboundEmail.objects.filter(ref_id=str(change.pk), ref_type="changes.SubprocessorChange")
    created = rows.count()
    queued = queued_names(client, key)
    if created != recipients:
        raise h.BenchError(f"the fan-out created {created} outbox rows for {recipients} recipients")

    originals = list(rows.order_by("id"))
    references = []
    for n in range(REFERENCE_RUNS):
        copies = [copy_row(row, f":bench-copy-{n}") for row in originals]
        ref_started = time.perf_counter()
        with transaction.atomic():
            OutboundEmail.objects.bulk_create(copies, batch_size=1000)
        references.append(time.perf_counter() - ref_started)
    reference = h.median(references)
    client.delete(key)
    return {
        "recipients": recipients,
        "seconds": elapsed,
        "reference_seconds": reference,
        "reference_runs": references,
        "ratio": elapsed / reference,
        "tasks_run": dict(Counter(n.rsplit(".", 1)[-1] for n in ran)),
        "queued": dict(queued),
        "batch": settings.CHANGE_FANOUT_BATCH,
    }


def report(r: dict) -> None:
    n = r["recipients"]
    queued = ", ".join(f"{count:,} x {name}" for name, count in r["queued"].items()) or "none"
    print(f"\nannounce to {n:,} recipients; tasks run off the broker: {r['tasks_run']}; left queued: {queued}")
    h.print_table(
        ["step", "seconds", "rows/s", "vs bulk_create", "target"],
        [
            [
                "announce -> all outbox rows + deliveries enqueued",
                f"{r['seconds']:.2f}",
                f"{n / r['seconds']:,.0f}",
                f"{r['ratio']:.2f}x",
                f"<= {TARGET}x {h.verdict(r['ratio'], TARGET, higher_is_better=False)}",
            ],
            [
                f"bare OutboundEmail bulk_create, same rows (median of {REFERENCE_RUNS})",
                f"{r['reference_seconds']:.2f}",
                f"{n / r['reference_seconds']:,.0f}",
                "1.00x",
                "",
            ],
        ],
    )


def main() -> None:
    recipients = h.env_int("BENCH_RECIPIENTS", 10_000)
    database = h.database_url()
    redis = h.redis_url("BENCH_CELERY_REDIS_URL", h.DEFAULT_CELERY_REDIS_URL)
    print(f"machine: {h.machine()}")
    with h.workdir("fanout") as wd, h.scratch_database(database):
        env = h.production_env(database=database, redis=redis, workdir=wd, CELERY_TASK_ALWAYS_EAGER="0")
        h.redis_flush(redis)
        try:
            h.setup_django(env)
            h.migrate()
            warm_up()
            have = h.seed_recipients(recipients)
            result = fanout(have)
        finally:
            h.redis_flush(redis)
    report(result)
    h.dump_json("fanout", {"machine": h.machine(), **result})


if __name__ == "__main__":
    h.run(main)
