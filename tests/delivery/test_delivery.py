"""The delivery engine, run for both kinds of delivery (email rows, webhook rows) with a scripted sender."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from portal.delivery import events_bus as delivery_events
from portal.delivery import services as delivery
from portal.delivery.models import OutboundEmail
from portal.delivery.services import Attempt, Channel
from subprocessors.webhooks.models import Webhook, WebhookDelivery

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


class Script:
    """A sender that answers from a list (an error text, or "" for accepted) and records what it was given."""

    def __init__(self, *answers: str):
        self.answers = list(answers)
        self.sent: list[tuple[int, int, str]] = []
        self.during_send = None

    def __call__(self, row) -> Attempt:
        self.sent.append((row.pk, row.attempts, row.status))
        if self.during_send:
            self.during_send(row)
        return Attempt(error=self.answers.pop(0) if self.answers else "")


def _email(org):
    return OutboundEmail.objects.create(
        idempotency_key="engine-1",
        to_email="dpo@acme.example",
        subject="s",
        body_text="t",
        ref_type="organisations.Organisation",
        ref_id=str(org.pk),
    )


def _webhook_delivery(org):
    webhook = Webhook.objects.create(organisation=org, url="https://93.184.215.14/hook", secret="whsec_abc")
    return WebhookDelivery.objects.create(
        webhook=webhook, event="test", payload={}, ref_type="organisations.Organisation", ref_id=str(org.pk)
    )


KINDS = {
    "email": (OutboundEmail, _email, (30, 60, 120)),
    "webhook": (WebhookDelivery, _webhook_delivery, (30, 120, 600)),
}


@pytest.fixture(params=list(KINDS))
def kind(request):
    return request.param


@pytest.fixture
def make(kind, org):
    model, create, backoff = KINDS[kind]

    def channel_and_row(send, *, max_attempts=3):
        channel = Channel(
            kind=kind,
            model=model,
            send=send,
            backoff=backoff,
            max_attempts=lambda: max_attempts,
            stuck_after=lambda: dt.timedelta(minutes=5),
        )
        return channel, create(org)

    return channel_and_row


@pytest.fixture
def events(monkeypatch):
    """What the thing a delivery is about hears, and whether it heard it inside the status change's transaction."""
    seen = []
    for name in ("_delivered", "_failed", "_webhook_delivered", "_webhook_failed"):
        monkeypatch.setattr(delivery_events, name, {})
    for kind in ("email", "webhook"):
        for outcome in ("delivered", "failed"):
            delivery_events.on_delivery(kind, outcome, "organisations.Organisation")(
                lambda row, kind=kind, outcome=outcome: seen.append(
                    (kind, outcome, row.pk, row.status, row.delivered_time, connection.in_atomic_block)
                )
            )
    return seen


def test_a_row_is_claimed_once_and_delivered_once(make, kind, events):
    channel, row = make(Script(""))
    again = []
    # given a second task for the same row arriving while the first is sending it
    channel.send.during_send = lambda r: again.append(delivery.deliver(channel, r.pk))
    # when both run
    assert delivery.deliver(channel, row.pk) == delivery.DELIVERED
    # then the second found nothing to do, the sender ran once, and a later task does nothing either
    assert again == [delivery.SKIPPED]
    assert channel.send.sent == [(row.pk, 1, row.STATES.sending)]
    assert delivery.deliver(channel, row.pk) == delivery.SKIPPED
    row.refresh_from_db()
    assert row.status == row.STATES.delivered
    assert row.delivered_time is not None
    assert row.attempts == 1
    assert row.locked_at is None
    assert events == [(kind, "delivered", row.pk, row.STATES.delivered, row.delivered_time, True)]


def test_failures_back_off_on_the_channel_schedule_then_give_up(make, kind, events):
    channel, row = make(Script("HTTP 503", "HTTP 503", "HTTP 500"), max_attempts=3)
    with time_machine.travel(START, tick=False) as clock:
        assert delivery.deliver(channel, row.pk) == delivery.RETRY
        row.refresh_from_db()
        assert row.status == row.STATES.waiting
        assert row.next_attempt_at == START + dt.timedelta(seconds=channel.backoff[0])
        assert row.last_error == "HTTP 503"
        # early: nothing happens, nothing is counted
        assert delivery.deliver(channel, row.pk) == delivery.SKIPPED
        assert delivery.retry_countdown(channel, row.pk) == channel.backoff[0] + 1
        clock.shift(dt.timedelta(seconds=channel.backoff[0]))
        assert delivery.deliver(channel, row.pk) == delivery.RETRY
        row.refresh_from_db()
        assert row.next_attempt_at == timezone.now() + dt.timedelta(seconds=channel.backoff[1])
        assert events == []  # a failed attempt is not an event
        clock.shift(dt.timedelta(seconds=channel.backoff[1]))
        assert delivery.deliver(channel, row.pk) == delivery.FAILED
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error, row.next_attempt_at) == (row.STATES.failed, 3, "HTTP 500", None)
    assert row.delivered_time is None
    assert events == [(kind, "failed", row.pk, row.STATES.failed, None, True)]
    assert delivery.deliver(channel, row.pk) == delivery.SKIPPED
    assert len(channel.send.sent) == 3


def test_a_sender_can_give_up_at_once(make):
    channel, row = make(lambda r: Attempt(error="Webhook was removed.", give_up=True))
    assert delivery.deliver(channel, row.pk) == delivery.FAILED
    row.refresh_from_db()
    assert (row.status, row.attempts) == (row.STATES.failed, 1)


def test_a_sender_bug_is_a_failed_attempt_not_a_row_left_sending(make):
    def broken(row):
        raise KeyError("bug")

    channel, row = make(broken)
    assert delivery.deliver(channel, row.pk) == delivery.RETRY
    row.refresh_from_db()
    assert row.status == row.STATES.waiting
    assert row.last_error == delivery.UNEXPECTED_ERROR


def test_rows_stuck_in_sending_are_swept_back_and_delivered_once(make):
    channel, row = make(Script(""))
    # given a worker died after claiming the row
    stuck_since = timezone.now() - dt.timedelta(minutes=10)
    type(row).objects.filter(pk=row.pk).update(
        status=row.STATES.sending, attempts=1, locked_at=stuck_since, updated_at=stuck_since
    )
    # when the sweep runs
    assert delivery.due_ids(channel, limit=100) == [row.pk]
    # then the row waits again, and is sent once
    row.refresh_from_db()
    assert (row.status, row.locked_at) == (row.STATES.waiting, None)
    assert delivery.deliver(channel, row.pk) == delivery.DELIVERED
    assert delivery.due_ids(channel, limit=100) == []
    row.refresh_from_db()
    assert row.attempts == 2


def test_the_sweep_leaves_recent_and_not_yet_due_rows_alone(make):
    channel, row = make(Script(""))
    model = type(row)
    # claimed a moment ago by a live worker
    model.objects.filter(pk=row.pk).update(status=row.STATES.sending, locked_at=timezone.now())
    assert delivery.due_ids(channel, limit=100) == []
    # queued a moment ago: its own task is on the way
    model.objects.filter(pk=row.pk).update(status=row.STATES.waiting, locked_at=None)
    assert delivery.due_ids(channel, limit=100) == []
    # a retry due later
    old = timezone.now() - dt.timedelta(minutes=2)
    model.objects.filter(pk=row.pk).update(updated_at=old, next_attempt_at=timezone.now() + dt.timedelta(hours=1))
    assert delivery.due_ids(channel, limit=100) == []
    assert delivery.retry_countdown(channel, row.pk) is None  # too far for the broker: the sweep sends it
    model.objects.filter(pk=row.pk).update(updated_at=old, next_attempt_at=timezone.now())
    assert delivery.due_ids(channel, limit=100) == [row.pk]


def test_an_event_handler_error_rolls_the_outcome_back_with_it(make, kind, monkeypatch):
    monkeypatch.setattr(delivery_events, "_delivered", {})
    monkeypatch.setattr(delivery_events, "_webhook_delivered", {})

    def broken(row):
        raise RuntimeError("handler bug")

    delivery_events.on_delivery(kind, "delivered", "organisations.Organisation")(broken)
    channel, row = make(Script(""))
    with pytest.raises(RuntimeError):
        delivery.deliver(channel, row.pk)
    row.refresh_from_db()
    # the sweep will send it again and the event will be told then; it is never lost
    assert row.status == row.STATES.sending
    assert row.delivered_time is None


def test_deliveries_about_something_else_tell_no_one(make, events, org):
    channel, row = make(Script(""))
    type(row).objects.filter(pk=row.pk).update(ref_type="dpa.Nothing")
    assert delivery.deliver(channel, row.pk) == delivery.DELIVERED
    assert events == []
