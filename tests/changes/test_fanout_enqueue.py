"""A fan-out enqueues one delivery task per batch of emails, not one per email."""

import datetime as dt

import pytest

from portal.delivery import tasks as delivery_tasks
from portal.delivery.models import OutboundEmail
from subprocessors.changes.fanout import change_fanout
from subprocessors.changes.services import change_announce
from subprocessors.listing.models import Subscriber
from tests.changes.factories import bulk_organisations, make_change

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 12, 14, 9, 0, tzinfo=dt.UTC)


def test_a_fanout_of_1000_enqueues_a_handful_of_delivery_tasks(
    legal, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.CHANGE_FANOUT_BATCH = 500
    settings.OUTBOX_BATCH_SIZE = 200
    bulk_organisations(600)
    Subscriber.objects.bulk_create(
        [Subscriber(email=f"reader{i:05d}@news.example", status="confirmed") for i in range(400)]
    )
    change = make_change(effective_date=dt.date(2026, 12, 29))
    with django_capture_on_commit_callbacks(execute=False):
        change_announce(change=change, effective_date=None, actor=legal, now=NOW)
    queued = []
    monkeypatch.setattr(delivery_tasks.outbox_deliver_batch_task, "delay", lambda ids: queued.append(ids))
    monkeypatch.setattr(delivery_tasks.outbox_deliver_task, "delay", lambda pk: pytest.fail("one task per email"))
    # when the fan-out task runs (each batch's commit enqueues its emails' delivery)
    with django_capture_on_commit_callbacks(execute=True):
        assert change_fanout(change_id=change.pk, notice="announce") == 1000
    # then 1,000 emails went to the broker in 6 messages (2 fan-out batches of 500, each in tasks of up to 200)
    assert [len(ids) for ids in queued] == [200, 200, 100, 200, 200, 100]
    emails = OutboundEmail.objects.filter(ref_id=str(change.pk)).values_list("pk", flat=True)
    assert sorted(pk for ids in queued for pk in ids) == sorted(emails)
