"""The delivery engine: one claim / attempt / back-off / record / sweep loop for every kind of delivery.

A `Channel` names a model with the `portal.delivery.models.base.Delivery` shape and the function that sends one row
(`send`: an SMTP submission, an HTTP POST). `deliver` sends a row at most once per claim:

1. claim: lock the row (`SELECT … FOR UPDATE SKIP LOCKED`, so two tasks for one row never both send), check it is
   waiting and due, mark it sending and count the attempt, and commit;
2. attempt: call `send` outside any transaction (a slow endpoint holds no lock);
3. record: in one transaction, move the row from sending to its outcome (delivered; waiting with the next attempt
   after the channel's back-off; failed when no attempts are left) and tell what it is about (delivery events).
   A database error here is retried on a fresh connection within seconds: once the other side accepted the
   delivery, a row left in sending would be sent again by the sweep.

`due_ids` is the sweep: rows a lost task left waiting, and rows stuck in sending past the channel's stuck time
(a worker died mid-attempt), which go back to waiting. Rows already delivered are never sent again.
"""

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from portal.delivery.events_bus import delivery_event
from portal.delivery.models.base import Delivery

logger = logging.getLogger(__name__)

DELIVERED, RETRY, FAILED, SKIPPED = "delivered", "retry", "failed", "skipped"
RECORD_ATTEMPTS = 4
# A row queued this recently still has its own task on the way; the sweep leaves it to that task.
SWEEP_GRACE = timedelta(seconds=30)
# Nothing waits in the broker longer than this: a later retry is a row the sweep finds when it is due.
MAX_COUNTDOWN_SECONDS = 300
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

    def delay(self, attempts: int) -> int:
        return self.backoff[min(attempts - 1, len(self.backoff) - 1)]


def deliver(channel: Channel[D], pk: int, *, now: datetime | None = None) -> str:
    """Claim, attempt and record one row. Returns DELIVERED, RETRY, FAILED or SKIPPED (not waiting or not due)."""
    row = _claim(channel, pk, now or timezone.now())
    if row is None:
        return SKIPPED
    try:
        attempt = channel.send(row)
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


def _claim(channel: Channel[D], pk: int, now: datetime) -> D | None:
    states = channel.model.STATES
    with transaction.atomic():
        row = (
            channel.model._default_manager.select_for_update(skip_locked=True, of=("self",))
            .select_related(*channel.select_related)
            .filter(pk=pk)
            .first()
        )
        if row is None or row.status != states.waiting:
            return None
        if row.next_attempt_at and row.next_attempt_at > now:
            return None
        row.status = states.sending
        row.locked_at = now
        row.attempts += 1
        row.save(update_fields=["status", "locked_at", "attempts", "updated_at"])
    return row


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


def delivery_restart(channel: Channel[D], *, row: D) -> D:
    """A failed row gets a fresh round of attempts (the caller holds its lock, checks and audits)."""
    row.status = channel.model.STATES.waiting
    row.attempts = 0
    row.next_attempt_at = None
    row.save(update_fields=["status", "attempts", "next_attempt_at", "updated_at"])
    return row
