"""How long one beat tick of the obligation reminder sweep takes as the register grows.

Runs on a throwaway test database (created and destroyed here). Prints the idle tick (nothing due: the case of
almost every minute), the tick that sends a stage for a batch of obligations, and their ratio to the register size.
"""

import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
# Tasks go to an in-memory broker: the tick is measured without delivering the emails it queues.
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

SIZES = (1_000, 10_000)
DUE_BATCH = 200


def build(size: int):
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


if __name__ == "__main__":
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    test_name = connection.creation.create_test_db(verbosity=0, keepdb=False)
    try:
        main()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    _ = test_name
