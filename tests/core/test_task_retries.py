"""Tasks retry by themselves, within seconds, when the database or the broker is briefly unreachable."""

import pytest
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError

import dpa.signing.tasks  # noqa: F401 - registers its tasks
import dpa.versions.tasks  # noqa: F401
import portal.deadlines.tasks  # noqa: F401
import portal.delivery.tasks
import portal.trust.tasks  # noqa: F401
import subprocessors.changes.tasks
from portal import celery_app
from subprocessors.changes.tasks import change_fanout_task

OUR_APPS = ("portal.", "subprocessors.", "dpa.")


def test_every_task_of_ours_retries_database_and_broker_errors_within_seconds():
    # (importing the task modules above registers every task)
    tasks = [task for name, task in celery_app.tasks.items() if name.startswith(OUR_APPS)]
    assert len(tasks) >= 15
    for task in tasks:
        errors = tuple(task.autoretry_for)
        assert any(issubclass(OperationalError, e) for e in errors), task.name
        assert any(issubclass(InterfaceError, e) for e in errors), task.name
        assert any(issubclass(BrokerError, e) for e in errors), task.name
        assert task.retry_backoff, task.name
        # the first retry comes within seconds, not after the 2–7 minutes of a beat sweep
        assert task.retry_backoff is True or task.retry_backoff <= 30, task.name


@pytest.mark.parametrize(
    "task",
    [
        portal.delivery.tasks.outbox_deliver_task,
        portal.delivery.tasks.outbox_deliver_batch_task,
        subprocessors.changes.tasks.change_fanout_task,
        subprocessors.webhooks.tasks.webhook_deliver_task,
        subprocessors.webhooks.tasks.webhook_deliver_batch_task,
    ],
)
def test_delivery_tasks_retry_after_1_2_4_seconds_and_never_wait_more_than_a_minute(task):
    assert task.retry_backoff is True  # a factor of 1 s
    assert task.retry_backoff_max == 60
    assert task.max_retries >= 6


@pytest.mark.django_db
def test_a_fanout_that_hits_a_dropped_database_connection_runs_again_at_once(monkeypatch):
    from subprocessors.changes import tasks

    calls = []

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return 500

    monkeypatch.setattr(tasks, "change_fanout", flaky)  # where the task looks it up
    # when the task runs (eagerly here: a worker waits the 0–1 s backoff first)
    result = change_fanout_task.apply(args=(7, "announce"))
    # then the retry ran and finished the job
    assert result.get() == 500
    assert calls == [{"change_id": 7, "notice": "announce"}] * 2
