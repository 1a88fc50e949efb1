"""Staff alerts in chat (portal.delivery.chat): queued once per event, posted as `{"text": …}` through the delivery
engine, retried with back-off, failed ones shown to staff; failed emails and webhook calls raise an alert."""

import datetime as dt
import json

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.checks import run_checks
from django.db import DatabaseError
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.core.errors import ApplicationError
from portal.delivery import chat
from portal.delivery.chat import (
    BACKOFF_SECONDS,
    MAX_ATTEMPTS,
    NOT_CONFIGURED,
    chat_alert_queue,
    chat_alert_retry,
    chat_deliver_batch,
    chat_due_ids,
    chat_text,
    chat_time,
    chat_value,
)
from portal.delivery.models import ChatAlert, OutboundEmail
from portal.delivery.outbox import email_queue_raw, outbox_deliver
from portal.delivery.tasks import chat_sweep
from subprocessors.webhooks.models import Webhook, WebhookDelivery
from subprocessors.webhooks.services import MAX_ATTEMPTS as WEBHOOK_MAX_ATTEMPTS
from subprocessors.webhooks.services import webhook_deliver
from tests.auth import login
from tests.delivery.test_outbox import FailingBackend  # noqa: F401 - the backend named by FAILING

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
FAILING = "tests.delivery.test_outbox.FailingBackend"


def _queue(key="k1", **kwargs) -> ChatAlert | None:
    params = {
        "kind": ChatAlert.Kind.ACCESS_REQUEST,
        "text": chat_text(title="New access request", facts=[("Who", "dpo@acme.example")]),
        "url": "http://testserver/staff/access/x/",
        "dedupe_key": key,
        **kwargs,
    }
    return chat_alert_queue(**params)


def _deliver(alert: ChatAlert) -> str:
    return chat_deliver_batch(alert_ids=[alert.pk])[alert.pk]


@pytest.fixture
def chat_receiver(receiver, settings):
    """The chat server: a local HTTP endpoint answering the queued status codes (then 204)."""
    handler, url = receiver
    settings.STAFF_CHAT_WEBHOOK_URL = url
    return handler


# --- queueing ----------------------------------------------------------------------------------------------


def test_nothing_is_queued_when_the_url_is_unset(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        assert _queue() is None
    assert not ChatAlert.objects.exists()
    assert callbacks == []


def test_one_alert_per_dedupe_key_enqueued_after_the_commit(chat_webhook, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        first = _queue()
        again = _queue(text="another text")
    assert first == again
    alert = ChatAlert.objects.get()
    assert (alert.kind, alert.status, alert.attempts) == ("access_request", "queued", 0)
    assert alert.text == "New access request\nWho: dpo@acme.example\nhttp://testserver/staff/access/x/"
    assert alert.url == "http://testserver/staff/access/x/"
    assert len(callbacks) == 1  # one delivery task, for the first call only


def test_a_failing_queue_never_breaks_its_caller(chat_webhook, monkeypatch, caplog):
    # given the database refuses the alert row
    def broken(**kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(ChatAlert.objects, "get_or_create", broken)
    # when an event queues an alert inside its own transaction
    email = email_queue_raw(key="event", to="a@b.example", subject="s", text="t")
    assert _queue() is None
    # then the event's own writes go on and the failure is logged
    assert OutboundEmail.objects.filter(pk=email.pk).exists()
    assert OutboundEmail.objects.count() == 1
    assert "Could not queue the access_request chat alert k1" in caplog.text


def test_user_values_cannot_mention_the_channel_or_break_lines():
    assert chat_value("Acme <!channel> & <https://evil.example|click>") == (
        "Acme &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;"
    )
    assert chat_value("two\nlines\r\n\tand\x00more") == "two lines and more"
    assert chat_value("x" * 300) == "x" * 199 + "…"
    text = chat_text(title="T", facts=[("A", "a\nb"), ("Empty", ""), ("None", None), ("N", 0)])
    assert text == "T\nA: a b\nN: 0"


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC), "2026-06-01 08:00 UTC (10:00 Europe/Amsterdam)"),
        (dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.UTC), "2026-12-01 23:30 UTC (2026-12-02 00:30 Europe/Amsterdam)"),
    ],
)
def test_times_are_given_in_utc_and_the_portal_time_zone(moment, text):
    assert chat_time(moment) == text


# --- delivery ----------------------------------------------------------------------------------------------


def test_delivered_when_the_chat_server_answers_2xx(chat_receiver, django_capture_on_commit_callbacks):
    # given
    with time_machine.travel(START, tick=False), django_capture_on_commit_callbacks(execute=True):
        # when: queued, and posted by the task enqueued at the commit (Celery eager)
        alert = _queue()
    # then
    alert.refresh_from_db()
    assert (alert.status, alert.attempts, alert.sent_at, alert.last_status_code) == ("sent", 1, START, 204)
    [(headers, body)] = chat_receiver.received
    assert json.loads(body) == {"text": alert.text}
    assert headers["Content-Type"] == "application/json"
    assert chat_receiver.paths == ["/hook"]
    assert _deliver(alert) == "skipped"  # never posted twice
    assert len(chat_receiver.received) == 1


def test_server_errors_are_retried_with_backoff_then_failed_and_shown_to_staff(
    chat_receiver, client, legal, django_capture_on_commit_callbacks
):
    # given a chat server that answers 500 to every attempt
    chat_receiver.answers = [500] * MAX_ATTEMPTS
    alert = _queue()
    # when the first attempt fails
    with time_machine.travel(START, tick=False):
        assert _deliver(alert) == "retry"
        assert _deliver(alert) == "skipped"  # not due yet
    # then it waits for the first back-off
    alert.refresh_from_db()
    assert (alert.status, alert.last_error, alert.last_status_code) == ("queued", "HTTP 500", 500)
    assert alert.next_attempt_at == START + dt.timedelta(seconds=BACKOFF_SECONDS[0])
    # the sweep finds it once due and the rest of the attempts fail too
    with time_machine.travel(START + dt.timedelta(seconds=BACKOFF_SECONDS[0] + 1), tick=False):
        assert chat_due_ids() == [alert.pk]
    results = []
    for _ in range(MAX_ATTEMPTS - 1):
        ChatAlert.objects.filter(pk=alert.pk).update(next_attempt_at=None)
        results.append(_deliver(alert))
    assert results == ["retry"] * (MAX_ATTEMPTS - 2) + ["failed"]
    alert.refresh_from_db()
    assert (alert.status, alert.attempts, alert.sent_at) == ("failed", MAX_ATTEMPTS, None)
    assert len(chat_receiver.received) == MAX_ATTEMPTS
    assert ChatAlert.objects.count() == 1  # a failed chat alert raises no chat alert about itself
    # staff see it on their dashboard and on the chat alerts page, with a retry button
    login(client, legal)
    home = client.get(reverse("staff:home")).content.decode()
    assert "Failed chat alerts" in home
    assert reverse("delivery:staff_chat_alerts") + "?status=failed" in home
    page = client.get(reverse("delivery:staff_chat_alerts"), {"status": "failed"})
    assert page.status_code == 200
    assert reverse("delivery:staff_chat_alert_retry", args=[alert.pk]) in page.content.decode()
    # and a retry starts a fresh round, audited
    chat_receiver.answers = []
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("delivery:staff_chat_alert_retry", args=[alert.pk]))
    assert response.status_code == 302
    alert.refresh_from_db()
    assert (alert.status, alert.attempts) == ("sent", 1)
    event = AuditEvent.objects.get(action="chat.retry")
    assert (event.actor_id, event.target_id, event.details) == (legal.pk, str(alert.pk), {"kind": "access_request"})


def test_only_failed_alerts_can_be_retried(chat_webhook, legal):
    alert = _queue()
    with pytest.raises(ApplicationError, match=chat.ONLY_FAILED):
        chat_alert_retry(alert=alert, actor=legal)


def test_chat_alert_pages_are_for_legal_staff_with_mfa_and_the_permission(client, member, legal_no_mfa, legal):
    alert = ChatAlert.objects.create(idempotency_key="x", kind="objection", text="t", url="http://x/", status="failed")
    pages = [
        ("get", reverse("delivery:staff_chat_alerts")),
        ("post", reverse("delivery:staff_chat_alert_retry", args=[alert.pk])),
    ]
    for method, url in pages:
        assert getattr(client, method)(url).status_code == 302  # anonymous → login
    login(client, member)
    for method, url in pages:
        assert getattr(client, method)(url).status_code == 403
    login(client, legal_no_mfa)
    for method, url in pages:
        assert getattr(client, method)(url).status_code == 302  # to MFA set-up
    # legal staff whose group lost the retry permission may look but not retry
    legal.groups.get().permissions.remove(Permission.objects.get(codename="retry_chatalert"))
    login(client, legal)
    assert client.get(pages[0][1]).status_code == 200
    assert client.post(pages[1][1]).status_code == 403
    alert.refresh_from_db()
    assert (alert.status, AuditEvent.objects.filter(action="chat.retry").exists()) == ("failed", False)


def test_sweep_posts_alerts_a_lost_task_left_behind(chat_receiver):
    with time_machine.travel(START, tick=False):
        alert = _queue()  # its task was never enqueued (no commit in this test)
    with time_machine.travel(START + dt.timedelta(minutes=1), tick=False):
        assert chat_sweep() == 1
    alert.refresh_from_db()
    assert alert.status == "sent"


def test_url_removed_before_delivery_fails_at_once(chat_webhook, settings):
    alert = _queue()
    settings.STAFF_CHAT_WEBHOOK_URL = ""
    assert _deliver(alert) == "failed"
    alert.refresh_from_db()
    assert (alert.attempts, alert.last_error) == (1, NOT_CONFIGURED)


def test_the_customer_webhook_address_rules_apply(settings, chat_webhook):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    settings.STAFF_CHAT_WEBHOOK_URL = "https://127.0.0.1:9/hook"
    alert = _queue()
    assert _deliver(alert) == "retry"
    alert.refresh_from_db()
    assert alert.last_error.startswith("refused: This URL points at a private")
    assert alert.last_status_code is None


@pytest.mark.parametrize(
    ("url", "warned"),
    [("", False), ("https://hooks.slack.com/services/T/B/X", False), ("http://chat.example/hook", True)],
)
def test_deploy_check_wants_https(settings, url, warned):
    settings.STAFF_CHAT_WEBHOOK_URL = url
    ids = [message.id for message in run_checks(include_deployment_checks=True)]
    assert ("portal.W040" in ids) is warned


# --- failed deliveries raise an alert -----------------------------------------------------------------------


def test_an_email_that_failed_permanently_raises_one_alert(chat_webhook, settings):
    # given an SMTP server that drops every attempt
    settings.EMAIL_BACKEND = FAILING
    settings.OUTBOX_MAX_ATTEMPTS = 2
    email = email_queue_raw(key="k", to="privacy@acme.example", subject="Your DPA", text="Hello")
    # when every attempt is made
    with time_machine.travel(START, tick=False):
        assert outbox_deliver(email_id=email.pk) == "retry"
        assert not ChatAlert.objects.exists()  # a retry is no failure yet
    with time_machine.travel(START + dt.timedelta(minutes=5), tick=False):
        assert outbox_deliver(email_id=email.pk) == "failed"
    # then exactly one alert links to the failed emails of the outbox
    alert = ChatAlert.objects.get()
    assert alert.kind == "delivery_failed"
    assert alert.url == "http://testserver/staff/outbox/?status=failed"
    assert alert.text == (
        "Email delivery failed permanently\n"
        "To: privacy@acme.example\n"
        "Subject: Your DPA\n"
        "Attempts: 2\n"
        "Last error: SMTPServerDisconnected: Connection unexpectedly closed\n"
        "Failed at: 2026-12-01 09:05 UTC (10:05 Europe/Amsterdam)\n"
        "More: other emails failing in the same hour are not posted one by one; the link lists them all\n"
        "http://testserver/staff/outbox/?status=failed"
    )
    assert (alert.ref_type, alert.ref_id) == ("delivery.OutboundEmail", str(email.pk))


def test_a_webhook_call_that_failed_permanently_raises_one_alert(chat_webhook, receiver, org):
    # given a customer endpoint answering 500 to every attempt, with a token in its URL
    handler, url = receiver
    handler.answers = [500] * WEBHOOK_MAX_ATTEMPTS
    webhook = Webhook.objects.create(organisation=org, url=url + "?token=secret", secret="whsec_abc")
    delivery = WebhookDelivery.objects.create(webhook=webhook, event="subprocessor_change.announced", payload={})
    # when every attempt fails
    results = []
    for _ in range(WEBHOOK_MAX_ATTEMPTS):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=None)
        results.append(webhook_deliver(delivery_id=delivery.pk))
    # then one alert, after the last one, naming the endpoint's host only
    assert results[-1] == "failed"
    alert = ChatAlert.objects.get()
    assert alert.url == "http://testserver/staff/webhook-deliveries/?status=failed"
    lines = alert.text.splitlines()
    assert lines[:6] == [
        "Webhook delivery failed permanently",
        "Organisation: Acme Health B.V.",
        "Endpoint: 127.0.0.1",
        "Event: subprocessor_change.announced",
        f"Attempts: {WEBHOOK_MAX_ATTEMPTS}",
        "Last error: HTTP 500",
    ]
    assert "secret" not in alert.text


def test_a_mail_server_outage_posts_one_alert_an_hour_not_one_per_email(chat_webhook, settings):
    # given a mail server that refuses everything, and 30 emails
    settings.EMAIL_BACKEND = FAILING
    settings.OUTBOX_MAX_ATTEMPTS = 1
    emails = [email_queue_raw(key=f"k{i}", to=f"p{i}@acme.example", subject="s", text="t") for i in range(30)]
    # when all of them fail within one hour, and one more the next hour
    with time_machine.travel(START, tick=False):
        assert {outbox_deliver(email_id=e.pk) for e in emails[:29]} == {"failed"}
    with time_machine.travel(START + dt.timedelta(hours=1), tick=False):
        assert outbox_deliver(email_id=emails[29].pk) == "failed"
    # then two alerts, each naming its first failure
    alerts = list(ChatAlert.objects.order_by("pk"))
    assert len(alerts) == 2
    assert "To: p0@acme.example" in alerts[0].text
    assert "To: p29@acme.example" in alerts[1].text


def test_no_alert_for_failures_while_the_url_is_unset(settings):
    settings.EMAIL_BACKEND = FAILING
    settings.OUTBOX_MAX_ATTEMPTS = 1
    email = email_queue_raw(key="k", to="privacy@acme.example", subject="s", text="t")
    assert outbox_deliver(email_id=email.pk) == "failed"
    assert not ChatAlert.objects.exists()


def test_the_sweep_is_on_the_beat_schedule_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["chat-sweep"]
    assert (entry["task"], entry["schedule"]) == ("portal.delivery.tasks.chat_sweep", 60.0)
    assert chat_sweep.name == entry["task"]
