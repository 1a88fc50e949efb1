"""The delivery engine: one claim / attempt / back-off / record / sweep loop for every kind of delivery.

A `Channel` names a model with the `portal.delivery.models.base.Delivery` shape and how to send its rows: `send`
sends one row (an SMTP submission, an HTTP POST); `session`, when given, opens what a whole batch is sent through
(one SMTP connection) and yields the function that sends one row on it. `deliver_batch` delivers a list of rows:

1. claim, once for the batch: lock the rows that are waiting and due (`SELECT … FOR UPDATE SKIP LOCKED`, so two
   tasks for one row never both send; a locked row belongs to another task and is skipped), let the channel hold
   some back (`admit`: e.g. at most N in flight per webhook endpoint; those stay waiting, DEFERRED), mark the rest
   sending with one UPDATE, and commit;
2. per row, in order: count the attempt (one UPDATE, committed before anything is sent), send it outside any
   transaction (a slow endpoint holds no lock), and record its outcome at once in its own transaction (delivered
   with the time THAT row was accepted; waiting with the next attempt after the channel's back-off; failed when
   no attempts are left), with the delivery events of that row (events_bus) in the same transaction. A database
   error while recording is retried on a fresh connection within seconds: once the other side accepted the
   delivery, a row left in sending would be sent again by the sweep.

Why one commit per row rather than recording the batch's outcomes in groups: a worker can die (SIGKILL, OOM) at
any instant, and every row the other side accepted but the database had not heard of yet is sent again by the
sweep (same Message-ID / webhook-id, but a second copy). Recording per row keeps that to the one row in flight
per worker process, as before batching; recording every N rows would allow up to N copies. A commit costs about
0.5 ms on a local PostgreSQL against ~1 ms for an SMTP submission on an open connection, so per-row records keep
a batch above half the rate of bare smtplib; the connection per batch (not per row) and the one broker message
per batch are where batching gains. Counting the attempt per row (not in the claim) keeps `attempts` true after a
crash: rows claimed but never tried go back to waiting with their count unchanged.

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
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from portal.delivery.events_bus import delivery_event
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
    with channel.open() as send:
        for n, row in enumerate(rows):
            if time.monotonic() > deadline:
                _release(channel, rows[n:], token)
                results.update(dict.fromkeys((r.pk for r in rows[n:]), DEFERRED))
                break
            if _start(channel, row, token):
                results[row.pk] = _attempt(channel, row, send)
    return results


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
    counted = channel.model._default_manager.filter(
        pk=row.pk, status=channel.model.STATES.sending, locked_at=token
    ).update(attempts=F("attempts") + 1, updated_at=timezone.now())
    if counted:
        row.attempts += 1
    return bool(counted)


def _release(channel: Channel[D], rows: list[D], token: datetime) -> None:
    """Hand untried rows back to waiting (their attempt count unchanged) for another task to claim."""
    channel.model._default_manager.filter(
        pk__in=[row.pk for row in rows], status=channel.model.STATES.sending, locked_at=token
    ).update(status=channel.model.STATES.waiting, locked_at=None, updated_at=timezone.now())


def _attempt(channel: Channel[D], row: D, send: Callable[[D], Attempt]) -> str:
    """Send one claimed row and record its outcome; the delivered time is when the other side accepted it."""
    try:
        attempt = send(row)
    except Exception:  # noqa: BLE001 - a bug in a sender must not leave the row in sending for the sweep
        logger.exception("%s delivery %s: attempt %s failed unexpectedly", channel.kind, row.pk, row.attempts)
        attempt = Attempt(error=UNEXPECTED_ERROR)
    states = channel.model.STATES
    if not attempt.error:
        _record(
            channel,
            row,
            status=states.delivered,
            last_error="",
            next_attempt_at=None,
            **{channel.model.DELIVERED_AT: timezone.now()},
            **attempt.fields,
        )
        return DELIVERED
    if attempt.give_up or row.attempts >= channel.max_attempts():
        _record(channel, row, status=states.failed, last_error=attempt.error, next_attempt_at=None, **attempt.fields)
        return FAILED
    next_attempt_at = timezone.now() + timedelta(seconds=channel.delay(row.attempts))
    _record(
        channel, row, status=states.waiting, last_error=attempt.error, next_attempt_at=next_attempt_at, **attempt.fields
    )
    return RETRY


def _record(channel: Channel[D], row: D, *, status: str, **fields) -> None:
    """Move a sending row to its outcome and tell what it is about (delivery events), in one transaction.

    A database error (a dropped connection, a failover) is retried on a fresh connection; an error raised by a
    delivery-event handler is not caught, so the row stays sending and the event is not lost."""
    states = channel.model.STATES
    for attempt in range(RECORD_ATTEMPTS):
        try:
            with transaction.atomic():
                updated = channel.model._default_manager.filter(pk=row.pk, status=states.sending).update(
                    status=status, locked_at=None, updated_at=timezone.now(), **fields
                )
                if updated:
                    for name, value in fields.items():
                        setattr(row, name, value)
                    row.status = status
                    row.locked_at = None
                    if status == states.delivered:
                        delivery_event(row, "delivered")
                    elif status == states.failed:
                        delivery_event(row, "failed")
            return
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
