import datetime as dt
import smtplib
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.utils import timezone

from portal.delivery.models import OutboundEmail
from portal.delivery.outbox import email_queue, outbox_deliver, outbox_due_ids, render_email
from portal.delivery.tasks import outbox_sweep

pytestmark = pytest.mark.django_db


class FailingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def _queue(org, key="k1", ref=None):
    return email_queue(
        key=key,
        to="privacy@acme.example",
        template="invitation",
        context={"invitation": _Inv(), "organisation": org, "inviter": _Inv()},
        organisation=org,
        ref=ref,
    )


class _Inv:
    email = "x@acme.example"
    token = "00000000-0000-0000-0000-000000000000"
    expires_at = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)

    def get_role_display(self):
        return "Member"


def test_queue_writes_a_row_and_delivers_on_commit(org, run_on_commit, mailoutbox):
    row = run_on_commit(_queue, org)
    row.refresh_from_db()
    assert row.status == OutboundEmail.Status.SENT
    assert row.attempts == 1
    assert row.sent_at is not None
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["privacy@acme.example"]
    assert "invited you to" in mailoutbox[0].subject


def test_nothing_is_sent_before_commit(org, mailoutbox):
    row = _queue(org)
    assert row.status == OutboundEmail.Status.QUEUED
    assert mailoutbox == []


def test_same_idempotency_key_queues_once(org, run_on_commit, mailoutbox):
    first = run_on_commit(_queue, org, key="same")
    second = run_on_commit(_queue, org, key="same")
    assert first.pk == second.pk
    assert OutboundEmail.objects.count() == 1
    assert len(mailoutbox) == 1


def test_second_delivery_of_a_sent_row_sends_nothing(org, run_on_commit, mailoutbox):
    row = run_on_commit(_queue, org)
    assert outbox_deliver(email_id=row.pk) == "skipped"
    assert len(mailoutbox) == 1


def test_failing_smtp_retries_with_backoff_then_marks_failed(org, settings, mailoutbox):
    settings.EMAIL_BACKEND = "tests.delivery.test_outbox.FailingBackend"
    settings.OUTBOX_MAX_ATTEMPTS = 3
    row = _queue(org)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        assert outbox_deliver(email_id=row.pk) == "retry"
        row.refresh_from_db()
        assert row.status == OutboundEmail.Status.QUEUED
        assert row.attempts == 1
        assert "SMTPServerDisconnected" in row.last_error
        assert row.next_attempt_at == start + dt.timedelta(seconds=30)
        # not due yet: a retry that arrives early does nothing
        assert outbox_deliver(email_id=row.pk) == "skipped"
        traveller.shift(dt.timedelta(seconds=31))
        assert outbox_deliver(email_id=row.pk) == "retry"
        row.refresh_from_db()
        assert row.next_attempt_at == timezone.now() + dt.timedelta(seconds=60)
        traveller.shift(dt.timedelta(seconds=61))
        assert outbox_deliver(email_id=row.pk) == "failed"
    row.refresh_from_db()
    assert row.status == OutboundEmail.Status.FAILED
    assert row.attempts == 3
    assert mailoutbox == []


def test_row_stuck_in_sending_is_picked_up_by_the_sweeper(org, settings, mailoutbox):
    # given a worker died after marking the row `sending`
    row = _queue(org)
    stuck_since = timezone.now() - dt.timedelta(minutes=10)
    OutboundEmail.objects.filter(pk=row.pk).update(status="sending", locked_at=stuck_since, updated_at=stuck_since)
    # when the beat sweeper runs
    swept = outbox_sweep()
    # then the row is queued again and delivered exactly once
    assert swept == 1
    row.refresh_from_db()
    assert row.status == OutboundEmail.Status.SENT
    assert len(mailoutbox) == 1
    assert outbox_sweep() == 0


def test_recent_sending_row_is_left_alone(org):
    row = _queue(org)
    OutboundEmail.objects.filter(pk=row.pk).update(status="sending", locked_at=timezone.now())
    assert outbox_due_ids() == []


def test_lost_enqueue_is_found_by_the_sweeper(org, mailoutbox):
    # given a row whose task never reached the broker
    row = _queue(org)
    OutboundEmail.objects.filter(pk=row.pk).update(updated_at=timezone.now() - dt.timedelta(minutes=2))
    assert outbox_due_ids() == [row.pk]
    outbox_sweep()
    row.refresh_from_db()
    assert row.status == OutboundEmail.Status.SENT


# --- delivery events and a stable Message-ID -----------------------------------------------------------------


@pytest.fixture
def events(monkeypatch):
    """Register handlers for emails about organisations; record what they were told, and in which transaction."""
    from django.db import connection

    from portal.delivery import events_bus as delivery_events

    seen = []
    monkeypatch.setattr(delivery_events, "_delivered", {})
    monkeypatch.setattr(delivery_events, "_failed", {})
    delivery_events.on_email_delivered("organisations.Organisation")(
        lambda row: seen.append(("delivered", row.pk, row.status, row.sent_at, connection.in_atomic_block))
    )
    delivery_events.on_email_failed("organisations.Organisation")(
        lambda row: seen.append(("failed", row.pk, row.status, row.last_error[:20], connection.in_atomic_block))
    )
    return seen


def _queue_about(org, key="about"):
    return _queue(org, key=key, ref=org)


def test_the_thing_an_email_is_about_hears_of_its_delivery(org, events, mailoutbox):
    row = _queue_about(org)
    assert outbox_deliver(email_id=row.pk) == "sent"
    row.refresh_from_db()
    assert events == [("delivered", row.pk, "sent", row.sent_at, True)]
    assert mailoutbox[0].extra_headers["Message-ID"] == row.message_id


def test_a_failed_attempt_is_not_an_event_and_the_final_failure_is(org, events, settings):
    settings.EMAIL_BACKEND = "tests.delivery.test_outbox.FailingBackend"
    settings.OUTBOX_MAX_ATTEMPTS = 2
    row = _queue_about(org)
    assert outbox_deliver(email_id=row.pk) == "retry"
    assert events == []
    OutboundEmail.objects.filter(pk=row.pk).update(next_attempt_at=None)
    assert outbox_deliver(email_id=row.pk) == "failed"
    assert events == [("failed", row.pk, "failed", "SMTPServerDisconnect", True)]


def test_a_handler_error_leaves_the_email_unrecorded_rather_than_half_recorded(org, monkeypatch, mailoutbox):
    from portal.delivery import events_bus as delivery_events

    monkeypatch.setattr(delivery_events, "_delivered", {})

    def broken(row):
        raise RuntimeError("handler bug")

    delivery_events.on_email_delivered("organisations.Organisation")(broken)
    row = _queue_about(org)
    with pytest.raises(RuntimeError):
        outbox_deliver(email_id=row.pk)
    row.refresh_from_db()
    assert row.status == OutboundEmail.Status.SENDING  # the sweeper will try again; the event is not lost
    assert row.sent_at is None


def test_every_attempt_carries_the_same_message_id(org, settings, mailoutbox):
    settings.EMAIL_BACKEND = "tests.delivery.test_outbox.FailingBackend"
    row = _queue(org)
    outbox_deliver(email_id=row.pk)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    OutboundEmail.objects.filter(pk=row.pk).update(next_attempt_at=None)
    outbox_deliver(email_id=row.pk)
    row.refresh_from_db()
    assert row.message_id.startswith("<")
    assert row.message_id.endswith("@portal.example>")
    assert mailoutbox[0].extra_headers["Message-ID"] == row.message_id
    assert OutboundEmail.objects.exclude(pk=row.pk).filter(message_id=row.message_id).count() == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_after_an_accepted_send_a_lost_connection_is_retried_not_left_for_the_sweeper(monkeypatch, mailoutbox):
    from django.db import OperationalError
    from django.db.models import QuerySet

    from portal.delivery import services as delivery

    row = OutboundEmail.objects.create(idempotency_key="lost", to_email="a@b.example", subject="s", body_text="t")
    real_update = QuerySet.update
    calls = {"n": 0}

    def flaky_update(self, **kwargs):
        if kwargs.get("status") == OutboundEmail.Status.SENT and calls["n"] < 2:
            calls["n"] += 1
            raise OperationalError("server closed the connection unexpectedly")
        return real_update(self, **kwargs)

    monkeypatch.setattr(QuerySet, "update", flaky_update)
    monkeypatch.setattr(delivery.time, "sleep", lambda s: None)
    assert outbox_deliver(email_id=row.pk) == "sent"
    row.refresh_from_db()
    assert row.status == OutboundEmail.Status.SENT
    assert calls["n"] == 2
    assert len(mailoutbox) == 1


@pytest.fixture
def email_templates(settings, tmp_path):
    """A templates folder searched before the project's, for emails made up by a test (as the core app's)."""
    (tmp_path / "core" / "emails").mkdir(parents=True)
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]

    def write(name, text):
        (tmp_path / "core" / "emails" / name).write_text(text)

    write("probe.subject.txt", "Hello {{ who }}")
    write("probe.txt", "Plain text for {{ who }}")
    return write


def test_an_email_without_an_html_template_has_no_html_part(email_templates):
    assert render_email("probe", {"who": "Acme"}) == ("Hello Acme", "Plain text for Acme", "")


def test_an_email_with_an_html_template_has_its_html_part(email_templates):
    email_templates("probe.html", "<p>HTML for {{ who }}</p>")
    assert render_email("probe", {"who": "Acme"})[2] == "<p>HTML for Acme</p>"


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("{% if %}broken{% endif %}", TemplateSyntaxError),
        ('{% include "emails/no-such-part.html" %}', TemplateDoesNotExist),
    ],
)
def test_an_error_in_an_html_template_is_raised_not_dropped(email_templates, html, error):
    # given an HTML part that exists but cannot be rendered
    email_templates("probe.html", html)
    # when / then: the mistake surfaces instead of the email going out without its HTML part
    with pytest.raises(error):
        render_email("probe", {"who": "Acme"})


def test_every_email_template_is_in_its_apps_folder_and_its_id_is_unique():
    from django.apps import apps

    root = Path(settings.BASE_DIR) / "templates"
    labels = {config.label for config in apps.get_app_configs()}
    found = {}
    for path in root.glob("*/emails/*.txt"):
        if path.name.startswith("_") or path.name.endswith(".subject.txt"):
            continue
        assert path.parent.parent.name in labels, path
        email_id = path.name.removesuffix(".txt")
        assert email_id not in found, f"{email_id} is in {found.get(email_id)} and {path.parent.parent.name}"
        found[email_id] = path.parent.parent.name
        assert (path.parent / f"{email_id}.subject.txt").exists()
    assert not (root / "emails").exists()
    assert found["access_approved"] == "trust"
    assert found["breach_notice"] == "breaches"
