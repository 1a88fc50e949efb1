"""The transactional email outbox.

`email_queue` (and `email_queue_raw`, `email_queue_many` for pre-rendered messages in bulk) writes OutboundEmail
rows in the caller's transaction and enqueues their delivery on commit, one task per OUTBOX_BATCH_SIZE rows.
`outbox_deliver_batch` sends a batch through the delivery engine (`portal.delivery.services`): claimed at once,
sent message by message over ONE SMTP connection (Django's `get_connection()`), each row recorded as soon as the
server answered for it, so each gets its own outcome and its own accepted time (`sent_at`). A refused message
(a 4xx/5xx answer to its recipient or its data) fails or retries only that row; a connection that drops
mid-batch is opened again once and the message re-sent on it; if it cannot be opened (again), the rest of the
batch is left for a retry with back-off.

At most once per claim, a row marked sent is never sent again, and a row whose worker died mid-batch stays
`sending` until the sweep puts it back after OUTBOX_STUCK_AFTER. Every attempt carries the row's Message-ID, so a
receiver can drop a copy re-sent after such a crash (at most the message in flight, see the engine's docstring).
"""

import logging
import smtplib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.apps import apps
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.template import TemplateDoesNotExist
from django.template.loader import select_template
from django.urls import reverse

from portal.core.bulk import bulk_insert
from portal.core.errors import ApplicationError
from portal.delivery import enqueue, events
from portal.delivery import services as delivery
from portal.delivery.chat import chat_alert_queue, chat_text, chat_time
from portal.delivery.models import ChatAlert, OutboundEmail
from portal.delivery.services import Attempt

logger = logging.getLogger(__name__)

BACKOFF_SECONDS = (30, 60, 120, 240, 300)  # capped: no task waits in the broker longer than 5 minutes
OUTBOX_RETRY_NOT_FAILED = "Only failed emails can be retried."


def email_template_names(template: str, suffix: str) -> list[str]:
    """Each app keeps its emails in templates/<app label>/emails/; an email's id is its file name there (unique
    across the apps, tests/delivery/test_outbox.py checks it), so the delivery engine needs no list of them."""
    return [f"{config.label}/emails/{template}{suffix}" for config in apps.get_app_configs()]


def render_email(template: str, context: dict) -> tuple[str, str, str]:
    """Render the email `template`: its .subject.txt, .txt and .html (the last optional: absent, no HTML part).

    Only the absence of the .html template itself is tolerated; an error in one that exists (a syntax error, a
    missing include) is raised like any other."""
    ctx = {"site_url": settings.SITE_URL, "portal_name": settings.PORTAL_NAME, **context}
    subject = " ".join(select_template(email_template_names(template, ".subject.txt")).render(ctx).split())
    text = select_template(email_template_names(template, ".txt")).render(ctx)
    try:
        html_template = select_template(email_template_names(template, ".html"))
    except TemplateDoesNotExist:
        return subject, text, ""
    html = html_template.render(ctx)
    return subject, text, html


@dataclass(frozen=True)
class EmailDraft:
    """A rendered email to queue; `key` is its idempotency key."""

    key: str
    to: str
    subject: str
    text: str
    html: str = ""
    headers: dict = field(default_factory=dict)
    template: str = ""
    organisation_id: int | None = None
    ref_type: str = ""
    ref_id: str = ""

    def row(self) -> OutboundEmail:
        return OutboundEmail(
            idempotency_key=self.key,
            to_email=self.to,
            subject=self.subject[:300],
            body_text=self.text,
            body_html=self.html,
            headers=self.headers or {},
            template=self.template,
            organisation_id=self.organisation_id,
            ref_type=self.ref_type,
            ref_id=self.ref_id,
        )


def email_queue_many(*, drafts: Sequence[EmailDraft], batch_size: int = 1000) -> list[OutboundEmail]:
    """Queue many rendered emails at once, once per idempotency key: a key already queued
    returns its first row (not sent again). On PostgreSQL the rows are streamed with COPY (portal.core.bulk).
    Returns the rows in the order of `drafts`; new ones are delivered after
    the caller's commit."""
    if not drafts:
        return []
    for tries_left in (1, 0):
        existing = OutboundEmail.objects.in_bulk([d.key for d in drafts], field_name="idempotency_key")
        new = [d.row() for d in {d.key: d for d in drafts if d.key not in existing}.values()]
        try:
            with transaction.atomic():
                bulk_insert(new, batch_size=batch_size)
            break
        except IntegrityError:
            # Another transaction queued one of these keys since the lookup: look again and create the rest.
            if not tries_left:
                raise
    enqueue.emails_deliver([row.pk for row in new])
    rows = {**existing, **{row.idempotency_key: row for row in new}}
    return [rows[d.key] for d in drafts]


def email_queue(
    *,
    key: str,
    to: str,
    template: str,
    context: dict,
    organisation=None,
    ref=None,
    headers: dict | None = None,
) -> OutboundEmail:
    """Queue one email, once per idempotency key: a second call with the same key returns the first row."""
    existing = OutboundEmail.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    subject, text, html = render_email(template, context)
    draft = EmailDraft(
        key=key,
        to=to,
        subject=subject,
        text=text,
        html=html,
        headers=headers or {},
        template=template,
        organisation_id=organisation.pk if organisation is not None else None,
        ref_type=ref._meta.label if ref is not None else "",
        ref_id=str(ref.pk) if ref is not None else "",
    )
    return email_queue_many(drafts=[draft])[0]


def email_queue_raw(*, key: str, to: str, subject: str, text: str, html: str = "", headers=None) -> OutboundEmail:
    """Queue an already-rendered message (used for allauth's emails)."""
    return email_queue_many(
        drafts=[EmailDraft(key=key, to=to, subject=subject, text=text, html=html, headers=headers or {})]
    )[0]


def email_enqueue_many(ids: list[int]) -> None:
    """Deliver rows that are already written, after the caller's commit."""
    enqueue.emails_deliver(ids)


def _build_message(row: OutboundEmail) -> EmailMultiAlternatives:
    headers = {"Message-ID": row.message_id, **row.headers}
    msg = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.to_email],
        headers=headers,
    )
    if row.body_html:
        msg.attach_alternative(row.body_html, "text/html")
    return msg


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def _dropped(exc: BaseException) -> bool:
    """The connection is gone (not just this message refused): closed by the server, reset, timed out, or a
    421 "closing transmission channel" answer."""
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code == 421
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


class SmtpSession:
    """One connection of the configured email backend for a batch, sending one message at a time on it.

    Opened on the first message. A refused message (SMTPRecipientsRefused, SMTPDataError, …) is that row's
    failure and the connection goes on (smtplib resets the transaction). A dropped connection is opened again
    once per batch and the message sent again on it; when that fails too, the rest of the batch fails fast with
    the same error (each row retries with back-off) rather than waiting for a dead server row after row."""

    def __init__(self):
        self.connection = get_connection(fail_silently=False)
        self.opened = False
        self.reconnects_left = 1
        self.broken = ""

    def send(self, row: OutboundEmail) -> Attempt:
        if self.broken:
            return Attempt(error=self.broken)
        message = _build_message(row)
        try:
            return self._submit(message)
        except Exception as exc:  # noqa: BLE001 - every backend failure is recorded on the row and retried
            if not _dropped(exc) or not self.reconnects_left:
                return self._failed(row, exc, fatal=_dropped(exc))
            self.reconnects_left -= 1
            logger.warning("Email %s: the SMTP connection dropped (%s); opening it again", row.pk, exc)
            self.close()
            try:
                return self._submit(message)
            except Exception as again:  # noqa: BLE001 - as above
                return self._failed(row, again, fatal=_dropped(again))

    def _submit(self, message: EmailMultiAlternatives) -> Attempt:
        if not self.opened:
            self.connection.open()
            self.opened = True
        if not self.connection.send_messages([message]):
            return Attempt(error="the email backend did not send the message")
        return Attempt()

    def _failed(self, row: OutboundEmail, exc: BaseException, *, fatal: bool) -> Attempt:
        logger.warning("Email %s attempt %s failed: %s", row.pk, row.attempts, exc)
        if fatal or not self.opened:  # the server is unreachable: the rest of the batch need not try it
            self.broken = _error(exc)
        return Attempt(error=_error(exc))

    def close(self) -> None:
        if self.opened:
            self.opened = False
            try:
                self.connection.close()
            except Exception as exc:  # noqa: BLE001 - a connection that is already gone cannot be closed cleanly
                logger.info("Closing the SMTP connection failed: %s", exc)


@contextmanager
def _smtp_session() -> Iterator[Callable[[OutboundEmail], Attempt]]:
    session = SmtpSession()
    try:
        yield session.send
    finally:
        session.close()


def _send(row: OutboundEmail) -> Attempt:
    """Send one row on a connection of its own (the engine uses `_smtp_session` for batches)."""
    with _smtp_session() as send:
        return send(row)


FAILURES_GROUPED = "other emails failing in the same hour are not posted one by one; the link lists them all"


def _alert_failed(row: OutboundEmail, failed_at: datetime) -> None:
    """A staff chat alert for an email that failed permanently, linking to the failed emails in the outbox (where
    staff retry it). At most one an hour: a mail server that is down fails every email, and a message per email
    would bury the channel; the outbox lists them all."""
    chat_alert_queue(
        kind=ChatAlert.Kind.DELIVERY_FAILED,
        text=chat_text(
            title="Email delivery failed permanently",
            facts=[
                ("To", row.to_email),
                ("Subject", row.subject),
                ("Attempts", row.attempts),
                ("Last error", row.last_error),
                ("Failed at", chat_time(failed_at)),
                ("More", FAILURES_GROUPED),
            ],
        ),
        url=settings.SITE_URL + reverse("delivery:staff_outbox") + "?status=failed",
        dedupe_key=f"delivery-failed:email:{failed_at:%Y-%m-%dT%H}",
        ref=row,
    )


EMAIL = delivery.Channel(
    kind="email",
    model=OutboundEmail,
    send=_send,
    backoff=BACKOFF_SECONDS,
    max_attempts=lambda: settings.OUTBOX_MAX_ATTEMPTS,
    stuck_after=lambda: settings.OUTBOX_STUCK_AFTER,
    session=_smtp_session,
    on_failed=_alert_failed,
)


def _outcome(result: str) -> str:
    return "sent" if result == delivery.DELIVERED else result


def outbox_deliver(*, email_id: int) -> str:
    """Send one queued row. Returns "sent", "retry", "failed", or "skipped" if there was nothing to do."""
    return outbox_deliver_batch(email_ids=[email_id])[email_id]


def outbox_deliver_batch(*, email_ids: Sequence[int]) -> dict[int, str]:
    """Send the queued, due rows among `email_ids` over one SMTP connection. Returns each id's "sent", "retry",
    "failed" or "skipped" (not queued, not due, or being sent by another task)."""
    return {pk: _outcome(result) for pk, result in delivery.deliver_batch(EMAIL, email_ids).items()}


def outbox_followups(*, results: dict[int, str]) -> dict[int, list[int]]:
    """After a batch: countdown (seconds) → ids to deliver again then (retries due within minutes)."""
    return delivery.followups(EMAIL, results)


def outbox_due_ids(*, limit: int = 1000) -> list[int]:
    """Rows a lost task left behind: queued and due, or stuck in `sending` past OUTBOX_STUCK_AFTER."""
    return delivery.due_ids(EMAIL, limit=limit)


def outbox_retry_countdown(*, email_id: int) -> int | None:
    """When to try a row again that `outbox_deliver` left for a retry (None: the sweep sends it when due)."""
    return delivery.retry_countdown(EMAIL, email_id)


@transaction.atomic
def outbox_retry(*, email: OutboundEmail, actor, request=None) -> OutboundEmail:
    email = OutboundEmail.objects.select_for_update().get(pk=email.pk)
    if email.status != OutboundEmail.Status.FAILED:
        raise ApplicationError(OUTBOX_RETRY_NOT_FAILED)
    delivery.delivery_restart(EMAIL, row=email)
    events.outbox_email_retried(email=email, actor=actor, request=request)
    enqueue.emails_deliver([email.pk])
    return email
