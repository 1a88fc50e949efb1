import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.delivery.models import OutboundEmail
from portal.delivery.outbox import email_queue_raw
from subprocessors.listing.models import Subscriber
from subprocessors.listing.subscriptions import (
    LINK_EXPIRED,
    LINK_INVALID,
    subscriber_confirm_url,
    subscriber_subscribe,
    subscriber_unsubscribe_url,
    subscribers_purge_unconfirmed,
)
from subprocessors.listing.tasks import subscribers_purge_task
from subprocessors.listing.views_subscriptions import RATE_LIMITED, SUBSCRIBE_SENT
from tests.listing.factories import SubscriberFactory

pytestmark = pytest.mark.django_db

SUBSCRIBE = "/subprocessors/subscribe/"


def confirm_link(email: OutboundEmail) -> str:
    return re.search(r"http://testserver(/subprocessors/subscribe/confirm/[^\s]+/)", email.body_text).group(1)


def test_subscribe_sends_confirmation_with_signed_link(client, run_on_commit, outbox_sent):
    # when
    response = run_on_commit(client.post, SUBSCRIBE, {"email": "Reader@News.example"})
    # then
    assert response.status_code == 302
    assert response["Location"] == "/subprocessors/subscribe/sent/"
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "reader@news.example"
    assert subscriber.status == "pending"
    row = OutboundEmail.objects.get()
    assert row.to_email == "reader@news.example"
    assert "Confirm your subscription" in row.subject
    assert confirm_link(row).startswith("/subprocessors/subscribe/confirm/")
    assert [m.to for m in outbox_sent] == [["reader@news.example"]]
    assert SUBSCRIBE_SENT in client.get(response["Location"]).content.decode()


def test_page_box_posts_to_subscribe(client):
    html = client.get("/subprocessors/").content.decode()
    assert f'action="{SUBSCRIBE}"' in html
    assert 'name="email"' in html


def test_confirm_needs_a_post_then_confirms(client):
    subscriber = subscriber_subscribe(email="a@news.example")
    path = confirm_link(OutboundEmail.objects.get())
    # a link scanner's GET confirms nothing
    assert client.get(path).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == "pending"
    # when
    response = client.post(path)
    # then
    assert response.status_code == 200
    assert "Your subscription is confirmed" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == "confirmed"
    assert subscriber.confirmed_at is not None
    event = AuditEvent.objects.get(action="subscriber.confirmed")
    assert "a@news.example" not in str(event.details) + event.actor_label


def test_confirming_twice_is_harmless(client):
    subscriber_subscribe(email="a@news.example")
    path = confirm_link(OutboundEmail.objects.get())
    client.post(path)
    assert client.post(path).status_code == 200
    assert AuditEvent.objects.filter(action="subscriber.confirmed").count() == 1


def test_expired_confirmation_link(client):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), tick=False):
        subscriber_subscribe(email="late@news.example")
    path = confirm_link(OutboundEmail.objects.get())
    with time_machine.travel(dt.datetime(2026, 3, 9, 9, 1, tzinfo=dt.UTC), tick=False):
        response = client.post(path)
    assert response.status_code == 400
    assert LINK_EXPIRED in response.content.decode()
    assert Subscriber.objects.get().status == "pending"


def test_tampered_confirmation_link(client):
    subscriber_subscribe(email="a@news.example")
    path = confirm_link(OutboundEmail.objects.get())
    token = path.rstrip("/").rsplit("/", 1)[1]
    tampered = path.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    response = client.post(tampered)
    assert response.status_code == 400
    assert LINK_INVALID in response.content.decode()
    assert Subscriber.objects.get().status == "pending"


def test_unsubscribe_token_cannot_confirm_and_vice_versa(client):
    subscriber = subscriber_subscribe(email="a@news.example")
    unsub_path = subscriber_unsubscribe_url(subscriber).removeprefix("http://testserver")
    confirm_path = subscriber_confirm_url(subscriber).removeprefix("http://testserver")
    token = unsub_path.rstrip("/").rsplit("/", 1)[1]
    assert client.post(f"/subprocessors/subscribe/confirm/{token}/").status_code == 400
    token = confirm_path.rstrip("/").rsplit("/", 1)[1]
    assert client.post(f"/subprocessors/unsubscribe/{token}/").status_code == 400
    assert Subscriber.objects.get().status == "pending"


def test_resubscribing_is_idempotent_and_reveals_nothing(client, run_on_commit):
    confirmed = SubscriberFactory(email="known@news.example", status="confirmed", confirmed_at=timezone.now())
    new = run_on_commit(client.post, SUBSCRIBE, {"email": "new@news.example"})
    known = run_on_commit(client.post, SUBSCRIBE, {"email": "KNOWN@news.example"})
    assert (new.status_code, new["Location"]) == (known.status_code, known["Location"])
    assert Subscriber.objects.count() == 2
    confirmed.refresh_from_db()
    assert confirmed.status == "confirmed"
    # no email to an address that is already confirmed
    assert list(OutboundEmail.objects.values_list("to_email", flat=True)) == ["new@news.example"]
    # a pending address that subscribes again gets a fresh link, still one row
    run_on_commit(client.post, SUBSCRIBE, {"email": "new@news.example"})
    assert Subscriber.objects.filter(email="new@news.example").count() == 1
    assert OutboundEmail.objects.filter(to_email="new@news.example").count() == 2


@pytest.mark.parametrize("email", ["", "not-an-email", "a@b", "x" * 250 + "@news.example"])
def test_invalid_address_is_a_form_error(client, email):
    response = client.post(SUBSCRIBE, {"email": email})
    assert response.status_code == 400
    assert 'class="errorlist"' in response.content.decode()
    assert not Subscriber.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_subscribe_is_rate_limited_per_ip(client, settings):
    settings.SUBPROCESSORS_SUBSCRIBE_RATE = "3/h"
    codes = [
        client.post(SUBSCRIBE, {"email": f"r{i}@news.example"}, REMOTE_ADDR="203.0.113.5").status_code for i in range(4)
    ]
    assert codes == [302, 302, 302, 429]
    blocked = client.post(SUBSCRIBE, {"email": "r9@news.example"}, REMOTE_ADDR="203.0.113.5")
    assert RATE_LIMITED in blocked.content.decode()
    assert not Subscriber.objects.filter(email="r9@news.example").exists()
    assert Subscriber.objects.count() == 3
    # another address is not affected
    assert client.post(SUBSCRIBE, {"email": "o@news.example"}, REMOTE_ADDR="203.0.113.6").status_code == 302


def test_one_click_unsubscribe_by_post_without_csrf():
    subscriber = SubscriberFactory(status="confirmed", confirmed_at=timezone.now())
    path = subscriber_unsubscribe_url(subscriber).removeprefix("http://testserver")
    client = Client(enforce_csrf_checks=True)
    # GET only asks
    assert client.get(path).status_code == 200
    assert Subscriber.objects.exists()
    # when: the mail client's RFC 8058 POST
    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    # then
    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    assert not Subscriber.objects.exists()
    assert AuditEvent.objects.filter(action="subscriber.unsubscribed").count() == 1
    # the link keeps answering kindly
    assert client.post(path).status_code == 200


def test_unsubscribe_link_never_expires():
    with time_machine.travel(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), tick=False):
        subscriber = SubscriberFactory(status="confirmed")
        path = subscriber_unsubscribe_url(subscriber).removeprefix("http://testserver")
    with time_machine.travel(dt.datetime(2028, 1, 1, tzinfo=dt.UTC), tick=False):
        assert Client().post(path).status_code == 200
    assert not Subscriber.objects.exists()


def test_tampered_unsubscribe_link(client):
    subscriber = SubscriberFactory()
    path = subscriber_unsubscribe_url(subscriber).removeprefix("http://testserver")
    response = client.post(path.replace(":", ":x", 1))
    assert response.status_code == 400
    assert LINK_INVALID in response.content.decode()
    assert Subscriber.objects.exists()


def test_list_unsubscribe_headers_reach_the_sent_email(run_on_commit, outbox_sent):
    subscriber = SubscriberFactory(status="confirmed")
    headers = {
        "List-Unsubscribe": f"<{subscriber_unsubscribe_url(subscriber)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    run_on_commit(email_queue_raw, key="n1", to=subscriber.email, subject="Notice", text="x", headers=headers)
    message = outbox_sent[0].message()
    assert message["List-Unsubscribe"] == headers["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_purge_deletes_only_stale_pending_subscriptions():
    now = timezone.now()
    with time_machine.travel(now - dt.timedelta(days=7, minutes=1), tick=False):
        subscriber_subscribe(email="stale@news.example")
    with time_machine.travel(now - dt.timedelta(days=6), tick=False):
        subscriber_subscribe(email="fresh@news.example")
    SubscriberFactory(
        email="kept@news.example",
        status="confirmed",
        confirmation_sent_at=now - dt.timedelta(days=30),
        confirmed_at=now - dt.timedelta(days=29),
    )
    # when: the beat task runs (twice: idempotent)
    assert subscribers_purge_task() == 1
    assert subscribers_purge_unconfirmed() == 0
    # then
    assert sorted(Subscriber.objects.values_list("email", flat=True)) == ["fresh@news.example", "kept@news.example"]
    assert AuditEvent.objects.filter(action="subscriber.purged").count() == 1


def test_purge_is_on_the_beat_schedule():
    entries = {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "subprocessors.listing.tasks.subscribers_purge_task" in entries
