import datetime as dt

import pytest
import time_machine
from django.db.models import Count

from portal.delivery.models import OutboundEmail
from subprocessors.changes import fanout
from subprocessors.changes.fanout import change_fanout
from subprocessors.changes.models import ChangeRecipient
from subprocessors.changes.services import change_announce
from subprocessors.listing.models import Subscriber
from tests.changes.factories import bulk_organisations, make_change

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 12, 14, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def two_thousand(db):
    """1,600 organisations and 500 confirmed subscribers, 100 of them also privacy contacts: 2,000 addresses."""
    bulk_organisations(1600)
    Subscriber.objects.bulk_create(
        [Subscriber(email=f"privacy{i:05d}@bulk.example", status="confirmed") for i in range(100)]
        + [Subscriber(email=f"reader{i:05d}@news.example", status="confirmed") for i in range(400)]
    )


def _announce(legal, django_capture_on_commit_callbacks):
    change = make_change(effective_date=dt.date(2026, 12, 29))
    # The request commits the change; the fan-out task is what on_commit enqueues — not run here.
    with django_capture_on_commit_callbacks(execute=False):
        change_announce(change=change, effective_date=None, actor=legal, now=NOW)
    return change


def _assert_exactly_once(change, n=2000):
    rows = OutboundEmail.objects.filter(ref_id=str(change.pk), template="subprocessor_change_announce")
    assert rows.count() == n
    assert not rows.values("to_email").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert ChangeRecipient.objects.filter(change=change, announce_email__isnull=True).count() == 0
    assert ChangeRecipient.objects.filter(change=change).count() == n


def test_fanout_run_twice_creates_one_email_per_recipient(two_thousand, legal, django_capture_on_commit_callbacks):
    change = _announce(legal, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):
        assert change_fanout(change_id=change.pk, notice="announce", batch_size=300) == 2000
        assert change_fanout(change_id=change.pk, notice="announce", batch_size=300) == 0
    _assert_exactly_once(change)
    assert ChangeRecipient.objects.filter(change=change, role="both").count() == 100


def test_fanout_killed_half_way_resumes_without_duplicates(
    two_thousand, legal, django_capture_on_commit_callbacks, monkeypatch
):
    change = _announce(legal, django_capture_on_commit_callbacks)
    # given a worker that dies in the middle of its fourth batch (after inserting emails, before linking them)
    real = fanout._link
    calls = {"n": 0}

    def dying(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise SystemExit("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(fanout, "_link", dying)
    with django_capture_on_commit_callbacks(execute=False), pytest.raises(SystemExit):
        change_fanout(change_id=change.pk, notice="announce", batch_size=250)
    # then the three committed batches survive and the fourth left nothing behind
    assert OutboundEmail.objects.filter(ref_id=str(change.pk)).count() == 750
    change.refresh_from_db()
    assert change.announce_fanout_done_at is None
    # when the sweep finds it and a new worker resumes it (twice, for good measure)
    monkeypatch.setattr(fanout, "_link", real)
    with django_capture_on_commit_callbacks(execute=False):
        assert change_fanout(change_id=change.pk, notice="announce", batch_size=250) == 1250
        assert change_fanout(change_id=change.pk, notice="announce", batch_size=250) == 0
    _assert_exactly_once(change)


def test_sweep_finds_an_unfinished_fanout(legal, org, django_capture_on_commit_callbacks):
    change = _announce(legal, django_capture_on_commit_callbacks)
    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        assert fanout.changes_with_unfinished_fanout() == []  # its own task is still on the way
    with time_machine.travel(NOW + dt.timedelta(minutes=3), tick=False):
        assert fanout.changes_with_unfinished_fanout() == [(change.pk, "announce")]
    with django_capture_on_commit_callbacks(execute=False):
        change_fanout(change_id=change.pk, notice="announce")
    assert fanout.changes_with_unfinished_fanout(older_than=dt.timedelta(0)) == []
