"""How long one beat tick of the obligation reminder sweep takes as the register grows.

Runs on the benchmarks' scratch database (BENCH_DATABASE_URL, created and dropped here; never the test suite's),
with production settings and an in-memory broker: the tick is measured without delivering the emails it queues.
Prints the idle tick (nothing due: the case of
almost every minute), the tick that sends a stage for a batch of obligations, and their ratio to the register size.
"""

import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h  # noqa: E402

SIZES = (1_000, 10_000)
DUE_BATCH = 200


def build(size: int):
    from django.utils import timezone  # noqa: PLC0415

    from portal.deadlines.models import Obligation
    from portal.organisations.models import Organisation

    Obligation.objects.all().delete()
    org, _ = Organisation.objects.get_or_create(name="Bench B.V.", defaults={"privacy_contact_email": "p@b.example"})
    now = timezone.now()
    rows = []
    for i in range(size):
        due = now + dt.timedelta(days=3 + i % 60) if i >= DUE_BATCH else now + dt.timedelta(minutes=30)
        rows.append(
            Obligation(
                kind="disclosure_order",
                organisation=org,
                title=f"Order {i}",
                received_at=now,
                due_at=due,
            )
        )
    Obligation.objects.bulk_create(rows, batch_size=2000)


def timed(func, repeat=5):
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - started)
    return best


def main():
    from django.conf import settings

    from portal.deadlines.models import ObligationReminder
    from portal.deadlines.selectors import obligations_needing_reminders
    from portal.deadlines.tasks import obligation_reminders_sweep

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    for size in SIZES:
        build(size)
        started = time.perf_counter()
        sent = obligation_reminders_sweep()
        busy = time.perf_counter() - started
        idle = timed(lambda: list(obligations_needing_reminders().values_list("id", flat=True)))
        idle_tick = timed(obligation_reminders_sweep)
        print(
            f"register {size:>6}: busy tick sent {sent} stages for {DUE_BATCH} obligations in {busy * 1000:.0f} ms "
            f"({busy / DUE_BATCH * 1000:.1f} ms each); idle tick {idle_tick * 1000:.1f} ms "
            f"(selector {idle * 1000:.1f} ms, {idle / size * 1e6:.2f} µs per register row)"
        )
        assert ObligationReminder.objects.count() == sent
        ObligationReminder.objects.all().delete()


def run() -> None:
    database = h.database_url()
    with h.workdir("reminders") as wd, h.scratch_database(database):
        # No REDIS_URL: tasks go to Celery's in-memory broker (not eager), the cache is in-process.
        h.setup_django(h.production_env(database=database, redis="", workdir=wd, CELERY_TASK_ALWAYS_EAGER="0"))
        h.migrate()
        main()


if __name__ == "__main__":
    h.run(run)
