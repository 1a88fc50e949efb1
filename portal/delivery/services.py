"""The delivery engine: one claim / attempt / back-off / record / sweep loop for every kind of delivery.

A `Channel` names a model with the `portal.delivery.models.base.Delivery` shape and how to send its rows: `send`
sends one row (an SMTP submission, an HTTP POST); `session`, when given, opens what a whole batch is sent through
(one SMTP connection) and yields the function that sends one row on it. `deliver_batch` delivers a list of rows:

1. claim, once for the batch: lock the rows that are waiting and due (`SELECT … FOR UPDATE SKIP LOCKED`, so two
   tasks for one row never both send; a locked row belongs to another task and is skipped), let the channel hold
   some back (`admit`: e.g. at most N in flight per webhook endpoint; those stay waiting, DEFERRED), mark the rest
   sending with one UPDATE, and commit;
2. per row, in order: count the attempt (committed before anything is sent), send it outside any transaction (a
   slow endpoint holds no lock), and record its outcome at once in its own transaction (delivered with the time
   THAT row was accepted; waiting with the next attempt after the channel's back-off; failed when no attempts are
   left), with the delivery events of that row (events_bus) in the same transaction — which also counts the
   attempt of the row sent next, so each row costs one commit. A database error while recording is retried on a
   fresh connection within seconds: once the other side accepted the delivery, a row left in sending would be
   sent again by the sweep.

Why one commit per row rather than recording the batch's outcomes in groups: a worker can die (SIGKILL, OOM) at
any instant, and every row the other side accepted but the database had not heard of yet is sent again by the
sweep (same Message-ID / webhook-id, but a second copy). Recording per row keeps that to the one row in flight
per worker process, as before batching (tests/faults allow exactly that); recording every N rows would allow up
to N copies. What a per-row commit costs is the wait for the WAL to reach the disk (measured here: 0.2 ms per
commit without that wait, 0.5-2.5 ms with it, against ~1 ms for an SMTP submission on an open connection), so on
PostgreSQL a batch's commits do not wait for the disk (`_Commits`, synchronous_commit off) except one every
DELIVERY_FLUSH_INTERVAL_MS (default 100) and the batch's last, each of which makes all earlier ones durable too.
A commit that did not wait is visible to every other connection at once and survives the worker's death; only a
crash of the database server itself can lose the last interval's records, whose rows are then sent again (same
Message-ID) — set DELIVERY_FLUSH_INTERVAL_MS=0 to wait at every commit instead. Each row's record is one round
trip (one statement that also counts the next row's attempt; a transaction around it only when a delivery-event
handler listens). The connection per batch (not per row) and one broker message per batch are where batching
gains the rest. Counting the attempt per row (not in the claim) keeps `attempts` true after a crash: rows
claimed but never tried go back to waiting with their count unchanged.

A batch that runs for more than half the channel's stuck time hands its untried rows back (waiting, DEFERRED)
before the sweep could take them for abandoned; each row's attempt is counted only while this batch still owns
it (the claim's `locked_at` is the owner's token).

`due_ids` is the sweep: rows a lost task left waiting, and rows stuck in sending past the channel's stuck time
(a worker died mid-batch), which go back to waiting. Rows already delivered are never sent again.
"""

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Field, Q
from django.utils import timezone

from portal.delivery.events_bus import delivery_event, delivery_event_heard
from portal.delivery.models.base import Delivery

logger = logging.getLogger(__name__)

DELIVERED, RETRY, FAILED, SKIPPED, DEFERRED = "delivered", "retry", "failed", "skipped", "deferred"
RECORD_ATTEMPTS = 4
# A row queued this recently still has its own task on the way; the sweep leaves it to that task.
SWEEP_GRACE = timedelta(seconds=30)
# Nothing waits in the broker longer than this: a later retry is a row the sweep finds when it is due.
MAX_COUNTDOWN_SECONDS = 300
# A row the channel held back (DEFERRED) is offered again this many seconds later.
DEFER_SECONDS = 5
UNEXPECTED_ERROR = "unexpected error (see the server log)"


@dataclass(frozen=True)
class Attempt:
    """What one attempt to send a row came to."""

    error: str = ""  # empty: the other side accepted it
    give_up: bool = False  # retrying cannot help (e.g. the webhook was removed): failed now
    fields: dict = field(default_factory=dict)  # more columns to record with the outcome, in its transaction


D = TypeVar("D", bound=Delivery)


@dataclass(frozen=True)
class Channel(Generic[D]):
    kind: str
    model: type[D]
    send: Callable[[D], Attempt]
    backoff: Sequence[int]  # seconds before attempt n+1; the last value repeats
    max_attempts: Callable[[], int]
    stuck_after: Callable[[], timedelta]
    select_related: tuple[str, ...] = ()
    # Opens what one batch is sent through and yields the sender of one row on it; None: `send` for each row.
    session: Callable[[], AbstractContextManager[Callable[[D], Attempt]]] | None = None
    # Given the locked, due rows (in the claim's transaction), returns (rows to claim now, rows to leave waiting).
    admit: Callable[[list[D], datetime], tuple[list[D], list[D]]] | None = None
    # Called with a row that just failed permanently and the time, in the transaction that records it (e.g. to
    # queue a staff chat alert); must not raise.
    on_failed: Callable[[D, datetime], object] | None = None

    def delay(self, attempts: int) -> int:
        return self.backoff[min(attempts - 1, len(self.backoff) - 1)]

    def open(self) -> AbstractContextManager[Callable[[D], Attempt]]:
        return self.session() if self.session is not None else _each(self.send)


@contextmanager
def _each(send: Callable[[D], Attempt]) -> Iterator[Callable[[D], Attempt]]:
    yield send


def deliver(channel: Channel[D], pk: int, *, now: datetime | None = None) -> str:
    """Claim, attempt and record one row. Returns DELIVERED, RETRY, FAILED, SKIPPED (not waiting or not due) or
    DEFERRED (held back by the channel)."""
    return deliver_batch(channel, [pk], now=now)[pk]


def deliver_batch(channel: Channel[D], pks: Sequence[int], *, now: datetime | None = None) -> dict[int, str]:
    """Claim the waiting, due rows among `pks` at once, send them through one session and record each one's
    outcome as it comes. Returns each pk's DELIVERED, RETRY, FAILED, SKIPPED or DEFERRED."""
    results = dict.fromkeys(pks, SKIPPED)
    token = now or timezone.now()  # the claim's locked_at: this batch owns a sending row while it still says so
    rows, held = _claim(channel, list(results), token)
    results.update(dict.fromkeys((row.pk for row in held), DEFERRED))
    if not rows:
        return results
    deadline = time.monotonic() + channel.stuck_after().total_seconds() / 2
    started = False  # whether the row up next had its attempt counted with the previous row's record
    with channel.open() as send, _Commits() as commits:
        for n, row in enumerate(rows):
            if not started:
                if time.monotonic() > deadline:
                    _release(channel, rows[n:], token)
                    results.update(dict.fromkeys((r.pk for r in rows[n:]), DEFERRED))
                    break
                if not _start(channel, row, token):
                    continue
            after = rows[n + 1] if n + 1 < len(rows) and time.monotonic() <= deadline else None
            with commits.durable(last=after is None):
                results[row.pk], started = _attempt(channel, row, send, token=token, then_start=after)
    return results


class _Commits:
    """On PostgreSQL, a batch's per-row commits do not each wait for the WAL to reach the disk (synchronous_commit
    off for this connection while the batch runs); the row's record whose commit comes DELIVERY_FLUSH_INTERVAL_MS
    after the last durable one, and the batch's last, wait (on), which makes every earlier commit durable too.

    A commit that did not wait is visible to every other connection at once and survives the worker's death
    (SIGKILL): only a crash of the database server itself can lose it, and then at most the last interval's
    records, whose rows the sweep sends again (same Message-ID). DELIVERY_FLUSH_INTERVAL_MS = 0: every commit
    waits (about 0.5-2.5 ms each, the cost that dominates a batch)."""

    def __init__(self):
        self.interval = settings.DELIVERY_FLUSH_INTERVAL_MS / 1000
        self.relaxed = self.interval > 0 and connection.vendor == "postgresql"
        self.last_durable = time.monotonic()

    def __enter__(self) -> "_Commits":
        if self.relaxed:
            self._set("off")
        return self

    def __exit__(self, *exc_info) -> None:
        if self.relaxed:
            self._set("DEFAULT")

    @contextmanager
    def durable(self, *, last: bool) -> Iterator[None]:
        """Make the commit(s) inside wait for the disk when this is the batch's last row or the interval is up."""
        if not self.relaxed or not (last or time.monotonic() - self.last_durable >= self.interval):
            yield
            return
        self._set("on")
        try:
            yield
        finally:
            self.last_durable = time.monotonic()
            self._set("off")

    @staticmethod
    def _set(value: str) -> None:
        """Never raises: on a connection that is closed or inside a failed transaction the SET cannot run, and the
        error being raised there is the one that matters (a new connection starts with the default anyway)."""
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"SET synchronous_commit TO {value}")
        except Exception as exc:  # noqa: BLE001 - see above
            logger.info("Could not set synchronous_commit to %s: %s", value, exc)


def _claim(channel: Channel[D], pks: list[int], now: datetime) -> tuple[list[D], list[D]]:
    """Lock the waiting, due rows among `pks` (skipping rows another task holds), let the channel hold some back,
    and mark the rest sending with `locked_at` = `now`, the batch's token. Returns (claimed, held back)."""
    model, states = channel.model, channel.model.STATES
    with transaction.atomic():
        rows = list(
            model._default_manager.select_for_update(skip_locked=True, of=("self",))
            .select_related(*channel.select_related)
            .filter(pk__in=pks, status=states.waiting)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .order_by("pk")
        )
        held: list[D] = []
        if rows and channel.admit is not None:
            rows, held = channel.admit(rows, now)
        if rows:
            model._default_manager.filter(pk__in=[row.pk for row in rows]).update(
                status=states.sending, locked_at=now, updated_at=timezone.now()
            )
        for row in rows:
            row.status, row.locked_at = states.sending, now
    return rows, held


def _start(channel: Channel[D], row: D, token: datetime) -> bool:
    """Count the attempt on a row this batch still owns, committed before it is sent (autocommit, or the
    caller's transaction). False: the sweep took it back meanwhile; it is not sent."""
    counted = _count_attempt(channel, row, token)
    if counted:
        row.attempts += 1
    return counted


def _count_attempt(channel: Channel[D], row: D, token: datetime) -> bool:
    return bool(
        channel.model._default_manager.filter(pk=row.pk, status=channel.model.STATES.sending, locked_at=token).update(
            attempts=F("attempts") + 1, updated_at=timezone.now()
        )
    )


def _release(channel: Channel[D], rows: list[D], token: datetime) -> None:
    """Hand untried rows back to waiting (their attempt count unchanged) for another task to claim."""
    channel.model._default_manager.filter(
        pk__in=[row.pk for row in rows], status=channel.model.STATES.sending, locked_at=token
    ).update(status=channel.model.STATES.waiting, locked_at=None, updated_at=timezone.now())


def _attempt(
    channel: Channel[D], row: D, send: Callable[[D], Attempt], *, token: datetime, then_start: D | None
) -> tuple[str, bool]:
    """Send one claimed row and record its outcome; the delivered time is when the other side accepted it. The
    record's transaction also counts the attempt of `then_start`, the row sent next (one commit per row, not two).
    Returns the outcome and whether `then_start` is this batch's to send."""
    try:
        attempt = send(row)
    except Exception:  # noqa: BLE001 - a bug in a sender must not leave the row in sending for the sweep
        logger.exception("%s delivery %s: attempt %s failed unexpectedly", channel.kind, row.pk, row.attempts)
        attempt = Attempt(error=UNEXPECTED_ERROR)
    states = channel.model.STATES
    if not attempt.error:
        result, status = DELIVERED, states.delivered
        fields = {"last_error": "", "next_attempt_at": None, channel.model.DELIVERED_AT: timezone.now()}
    elif attempt.give_up or row.attempts >= channel.max_attempts():
        result, status = FAILED, states.failed
        fields = {"last_error": attempt.error, "next_attempt_at": None}
    else:
        result, status = RETRY, states.waiting
        next_attempt_at = timezone.now() + timedelta(seconds=channel.delay(row.attempts))
        fields = {"last_error": attempt.error, "next_attempt_at": next_attempt_at}
    started = _record(
        channel, row, status=status, fields={**fields, **attempt.fields}, then_start=then_start, token=token
    )
    return result, started


def _record(
    channel: Channel[D],
    row: D,
    *,
    status: str,
    fields: dict,
    then_start: D | None = None,
    token: datetime | None = None,
) -> bool:
    """Move a sending row to its outcome and tell what it is about (delivery events; for a permanent failure also
    the channel's `on_failed`, e.g. a staff chat alert), in one transaction; in the
    same transaction, count the attempt of `then_start` (see `_start`). Returns whether that was counted.

    A database error (a dropped connection, a failover) is retried on a fresh connection; an error raised by a
    delivery-event handler is not caught, so the row stays sending and the event is not lost (the rest of its
    batch is left to the sweep)."""
    states = channel.model.STATES
    outcome = {states.delivered: "delivered", states.failed: "failed"}.get(status)
    alert = outcome == "failed" and channel.on_failed is not None
    heard = alert or (outcome is not None and delivery_event_heard(row, outcome))
    failed_at = timezone.now()  # one time for every try below: the failure alert's key stays the same
    for attempt in range(RECORD_ATTEMPTS):
        try:
            # No handler to tell: the one statement commits by itself (one round trip per row).
            with transaction.atomic() if heard else nullcontext():
                updated, started = _record_and_start(channel, row, status, fields, then_start, token)
                if updated:
                    for name, value in fields.items():
                        setattr(row, name, value)
                    row.status = status
                    row.locked_at = None
                    if outcome is not None:
                        delivery_event(row, outcome)
                    if alert:
                        channel.on_failed(row, failed_at)  # type: ignore[misc]
            if started and then_start is not None:
                then_start.attempts += 1
            return started
        except (OperationalError, InterfaceError) as exc:
            if attempt == RECORD_ATTEMPTS - 1 or connection.in_atomic_block:
                raise
            logger.warning(
                "Recording %s delivery %s as %s failed (%s); retrying on a new connection",
                channel.kind,
                row.pk,
                status,
                exc,
            )
            connection.close()
            time.sleep(0.2 * 2**attempt)
    return False


def _record_and_start(
    channel: Channel[D], row: D, status: str, fields: dict, then_start: D | None, token: datetime | None
) -> tuple[bool, bool]:
    """Move `row` from sending to `status` and count the attempt of `then_start` (if this batch still owns it):
    one statement on PostgreSQL (two UPDATEs in a WITH), two elsewhere. Returns (row moved, next counted)."""
    manager, states = channel.model._default_manager, channel.model.STATES
    now = timezone.now()
    values = {"status": status, "locked_at": None, "updated_at": now, **fields}
    if then_start is None or token is None:
        return bool(manager.filter(pk=row.pk, status=states.sending).update(**values)), False
    if connection.vendor != "postgresql":
        moved = manager.filter(pk=row.pk, status=states.sending).update(**values)
        return bool(moved), _count_attempt(channel, then_start, token)
    meta = channel.model._meta
    quote = connection.ops.quote_name
    table, pk, status_column = quote(meta.db_table), _column(channel, "id"), _column(channel, "status")
    attempts, updated_at, locked_at = (_column(channel, name) for name in ("attempts", "updated_at", "locked_at"))
    assignments = ", ".join(f"{_column(channel, name)} = %s" for name in values)
    params = [meta.get_field(name).get_db_prep_save(value, connection) for name, value in values.items()]  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH moved AS (UPDATE {table} SET {assignments} WHERE {pk} = %s AND {status_column} = %s RETURNING 1), "  # noqa: S608 - names from the model, values bound  # nosec
            f"counted AS (UPDATE {table} SET {attempts} = {attempts} + 1, {updated_at} = %s "
            f"WHERE {pk} = %s AND {status_column} = %s AND {locked_at} = %s RETURNING 1) "
            "SELECT (SELECT count(*) FROM moved), (SELECT count(*) FROM counted)",
            (*params, row.pk, states.sending, now, then_start.pk, states.sending, token),
        )
        moved, counted = cursor.fetchone()
    return bool(moved), bool(counted)


def _column(channel: Channel[D], name: str) -> str:
    field = channel.model._meta.get_field(name)
    assert isinstance(field, Field)  # a column of the row, not a reverse relation
    assert field.column
    return connection.ops.quote_name(field.column)


def due_ids(channel: Channel[D], *, limit: int, now: datetime | None = None) -> list[int]:
    """The sweep: rows stuck in sending past the channel's stuck time go back to waiting, and are returned with
    the waiting rows that are due and older than SWEEP_GRACE."""
    now = now or timezone.now()
    model, states = channel.model, channel.model.STATES
    stuck = list(
        model._default_manager.filter(status=states.sending, locked_at__lt=now - channel.stuck_after())
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    if stuck:
        model._default_manager.filter(pk__in=stuck, status=states.sending).update(
            status=states.waiting, locked_at=None, next_attempt_at=None, updated_at=now
        )
    waiting = (
        model._default_manager.filter(status=states.waiting, updated_at__lt=now - SWEEP_GRACE)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("id")
        .values_list("id", flat=True)[: max(0, limit - len(stuck))]
    )
    return sorted({*stuck, *waiting})


def retry_countdown(channel: Channel[D], pk: int, *, now: datetime | None = None) -> int | None:
    """Seconds until a row waiting for its next attempt is due (plus one, so the task never arrives early), or None
    when that is more than MAX_COUNTDOWN_SECONDS away (the sweep sends it when due) or nothing is waiting."""
    model = channel.model
    due = (
        model._default_manager.filter(pk=pk, status=model.STATES.waiting)
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    if due is None:
        return None
    seconds = (due - (now or timezone.now())).total_seconds()
    return max(1, int(seconds) + 1) if seconds <= MAX_COUNTDOWN_SECONDS else None


def followups(channel: Channel[D], results: dict[int, str], *, now: datetime | None = None) -> dict[int, list[int]]:
    """What a batch task enqueues after its batch: countdown (seconds) → ids. Rows left for a retry come back when
    due (rows due more than MAX_COUNTDOWN_SECONDS later are left to the sweep); rows the channel held back come back
    after DEFER_SECONDS."""
    now = now or timezone.now()
    later: dict[int, list[int]] = defaultdict(list)
    retry = [pk for pk, result in results.items() if result == RETRY]
    model = channel.model
    due = model._default_manager.filter(pk__in=retry, status=model.STATES.waiting, next_attempt_at__isnull=False)
    for pk, at in due.values_list("pk", "next_attempt_at"):
        seconds = (at - now).total_seconds()
        if seconds <= MAX_COUNTDOWN_SECONDS:
            later[max(1, int(seconds) + 1)].append(pk)
    for pk, result in results.items():
        if result == DEFERRED:
            later[DEFER_SECONDS].append(pk)
    return {countdown: sorted(ids) for countdown, ids in sorted(later.items())}


def delivery_restart(channel: Channel[D], *, row: D) -> D:
    """A failed row gets a fresh round of attempts (the caller holds its lock, checks and audits)."""
    row.status = channel.model.STATES.waiting
    row.attempts = 0
    row.next_attempt_at = None
    row.save(update_fields=["status", "attempts", "next_attempt_at", "updated_at"])
    return row
