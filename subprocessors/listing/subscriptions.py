"""Public email subscriptions to list changes: double opt-in, one-click unsubscribe, purge of unconfirmed ones.

Tokens are signed (Django signing) over the subscriber's opaque public id: the confirmation token expires with
the pending subscription (CONFIRM_VALID_FOR); the unsubscribe token never expires, so every notice's link keeps
working. Unsubscribing deletes the row: we keep no address we no longer need."""

import datetime as dt
import uuid

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from portal.core.errors import ApplicationError
from portal.delivery.outbox import email_queue
from subprocessors.listing import events
from subprocessors.listing.models import Subscriber

CONFIRM_VALID_FOR = dt.timedelta(days=7)
CONFIRM_SALT = "subprocessors.subscriber.confirm"
UNSUBSCRIBE_SALT = "subprocessors.subscriber.unsubscribe"

LINK_INVALID = "This link is not valid. Copy the whole link from the email, or subscribe again."
LINK_EXPIRED = "This confirmation link has expired. Subscribe again to get a new one."


def subscriber_confirm_url(subscriber: Subscriber) -> str:
    token = signing.TimestampSigner(salt=CONFIRM_SALT).sign(str(subscriber.public_id))
    return settings.SITE_URL + reverse("listing:subscribe_confirm", args=[token])


def subscriber_unsubscribe_url(subscriber: Subscriber) -> str:
    """The one-click unsubscribe link for every notice sent to this subscriber (GET shows a button; POST, as
    mail clients do for List-Unsubscribe-Post, unsubscribes at once)."""
    token = signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(subscriber.public_id))
    return settings.SITE_URL + reverse("listing:unsubscribe", args=[token])


@transaction.atomic
def subscriber_subscribe(*, email: str, request=None) -> Subscriber | None:
    """Start (or restart) a subscription. Idempotent and silent: a confirmed address gets no second email and
    the caller learns nothing about whether the address was known."""
    email = email.strip().lower()
    now = timezone.now()
    subscriber, created = Subscriber.objects.select_for_update().get_or_create(email=email)
    if subscriber.status == Subscriber.Status.CONFIRMED:
        return subscriber
    subscriber.confirmation_sent_at = now
    subscriber.save(update_fields=["confirmation_sent_at", "updated_at"])
    email_queue(
        key=f"subprocessors.subscriber.confirm:{subscriber.public_id}:{uuid.uuid4().hex}",
        to=subscriber.email,
        template="subscribe_confirm",
        context={"confirm_url": subscriber_confirm_url(subscriber), "valid_days": CONFIRM_VALID_FOR.days},
    )
    if created:
        events.subscriber_requested(subscriber=subscriber, request=request)
    return subscriber


def _load(token: str, *, salt: str, max_age=None) -> Subscriber | None:
    try:
        if max_age is None:
            public_id = signing.Signer(salt=salt).unsign(token)
        else:
            public_id = signing.TimestampSigner(salt=salt).unsign(token, max_age=max_age)
    except signing.SignatureExpired:
        raise ApplicationError(LINK_EXPIRED)
    except signing.BadSignature:
        raise ApplicationError(LINK_INVALID)
    return Subscriber.objects.select_for_update().filter(public_id=public_id).first()


@transaction.atomic
def subscriber_confirm(*, token: str, request=None) -> Subscriber:
    subscriber = _load(token, salt=CONFIRM_SALT, max_age=CONFIRM_VALID_FOR)
    if subscriber is None:
        # Purged or unsubscribed since the email went out.
        raise ApplicationError(LINK_EXPIRED)
    if subscriber.status != Subscriber.Status.CONFIRMED:
        subscriber.status = Subscriber.Status.CONFIRMED
        subscriber.confirmed_at = timezone.now()
        subscriber.save(update_fields=["status", "confirmed_at", "updated_at"])
        events.subscriber_confirmed(subscriber=subscriber, request=request)
    return subscriber


@transaction.atomic
def subscriber_unsubscribe(*, token: str, request=None) -> bool:
    """Delete the subscription behind an unsubscribe token. True if one was removed, False if already gone."""
    subscriber = _load(token, salt=UNSUBSCRIBE_SALT)
    if subscriber is None:
        return False
    events.subscriber_unsubscribed(subscriber=subscriber, request=request)
    subscriber.delete()
    return True


@transaction.atomic
def subscribers_purge_unconfirmed(*, now: dt.datetime | None = None) -> int:
    """Delete pending subscriptions older than CONFIRM_VALID_FOR (their links no longer work anyway)."""
    cutoff = (now or timezone.now()) - CONFIRM_VALID_FOR
    stale = Subscriber.objects.filter(status=Subscriber.Status.PENDING, confirmation_sent_at__lt=cutoff)
    count = stale.count()
    if count:
        stale.delete()
        events.subscribers_purged(count=count, created_before=cutoff)
    return count
