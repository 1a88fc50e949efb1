"""The transactional email outbox.

`email_queue` writes an OutboundEmail row in the caller's transaction and enqueues delivery on commit.
`outbox_deliver` sends one row at most once: a row marked sent is never sent again; a row whose worker died
mid-send stays `sending` and the sweeper puts it back in the queue after OUTBOX_STUCK_AFTER.
"""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from portal.models import OutboundEmail
from portal.services.delivery_events import email_delivered, email_failed

logger = logging.getLogger(__name__)

BACKOFF_SECONDS = (30, 60, 120, 240, 300)  # capped: no task waits in the broker longer than 5 minutes


def render_email(template: str, context: dict) -> tuple[str, str, str]:
    """Render templates/emails/<template>.subject.txt, .txt and .html (the last optional)."""
    ctx = {"site_url": settings.SITE_URL, "portal_name": settings.PORTAL_NAME, **context}
    subject = " ".join(render_to_string(f"emails/{template}.subject.txt", ctx).split())
    text = render_to_string(f"emails/{template}.txt", ctx)
    try:
        html = render_to_string(f"emails/{template}.html", ctx)
    except Exception:  # noqa: BLE001 - the HTML part is optional
        html = ""
    return subject, text, html


def _enqueue_on_commit(ids: list[int]) -> None:
    from portal.tasks import outbox_deliver_task

    def send():
        for n, pk in enumerate(ids):
            try:
                outbox_deliver_task.delay(pk)
            except Exception as exc:  # noqa: BLE001 - broker down: the rows are safe, the sweeper sends them later
                # One failure is enough to know the broker is down; don't make the request wait for each row.
                logger.warning(
                    "Could not enqueue %s email(s) (%s); the outbox sweeper will send them", len(ids) - n, exc
                )
                return

    transaction.on_commit(send)


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
    row = OutboundEmail.objects.create(
        idempotency_key=key,
        to_email=to,
        subject=subject[:300],
        body_text=text,
        body_html=html,
        headers=headers or {},
        template=template,
        organisation=organisation,
        ref_type=ref._meta.label if ref is not None else "",
        ref_id=str(ref.pk) if ref is not None else "",
    )
    _enqueue_on_commit([row.pk])
    return row


def email_queue_raw(*, key: str, to: str, subject: str, text: str, html: str = "", headers=None) -> OutboundEmail:
    """Queue an already-rendered message (used for allauth's emails)."""
    row, created = OutboundEmail.objects.get_or_create(
        idempotency_key=key,
        defaults={
            "to_email": to,
            "subject": subject[:300],
            "body_text": text,
            "body_html": html,
            "headers": headers or {},
        },
    )
    if created:
        _enqueue_on_commit([row.pk])
    return row


def email_enqueue_many(ids: list[int]) -> None:
    _enqueue_on_commit(ids)


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


def outbox_deliver(*, email_id: int) -> str:
    """Send one queued row. Returns the resulting status, or "skipped" if there was nothing to do."""
    now = timezone.now()
    with transaction.atomic():
        row = OutboundEmail.objects.select_for_update(skip_locked=True).filter(pk=email_id).first()
        if row is None or row.status != OutboundEmail.Status.QUEUED:
            return "skipped"
        if row.next_attempt_at and row.next_attempt_at > now:
            return "skipped"
        row.status = OutboundEmail.Status.SENDING
        row.locked_at = now
        row.attempts += 1
        row.save(update_fields=["status", "locked_at", "attempts", "updated_at"])
    try:
        _build_message(row).send(fail_silently=False)
    except Exception as exc:  # noqa: BLE001 - any backend failure is recorded on the row
        failed = row.attempts >= settings.OUTBOX_MAX_ATTEMPTS
        delay = BACKOFF_SECONDS[min(row.attempts - 1, len(BACKOFF_SECONDS) - 1)]
        logger.warning("Email %s attempt %s failed: %s", row.pk, row.attempts, exc)
        _record(
            row,
            status=OutboundEmail.Status.FAILED if failed else OutboundEmail.Status.QUEUED,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            next_attempt_at=None if failed else timezone.now() + timedelta(seconds=delay),
        )
        return "failed" if failed else "retry"
    # The SMTP server accepted it: from here on the row must say so, even across a lost database connection.
    _record(row, status=OutboundEmail.Status.SENT, sent_at=timezone.now(), last_error="")
    return "sent"


RECORD_ATTEMPTS = 4


def _record(row: OutboundEmail, *, status: str, **fields) -> None:
    """Move a `sending` row to its outcome and tell what it is about (delivery events), in one transaction.

    A database error here (a dropped connection, a failover) is retried on a fresh connection within seconds:
    after the SMTP server accepted a message, leaving the row `sending` would make the sweeper send it again."""
    for attempt in range(RECORD_ATTEMPTS):
        try:
            with transaction.atomic():
                updated = OutboundEmail.objects.filter(pk=row.pk, status=OutboundEmail.Status.SENDING).update(
                    status=status, locked_at=None, updated_at=timezone.now(), **fields
                )
                if updated:
                    for name, value in fields.items():
                        setattr(row, name, value)
                    row.status = status
                    if status == OutboundEmail.Status.SENT:
                        email_delivered(row)
                    elif status == OutboundEmail.Status.FAILED:
                        email_failed(row)
            return
        except (OperationalError, InterfaceError) as exc:
            if attempt == RECORD_ATTEMPTS - 1 or connection.in_atomic_block:
                raise
            logger.warning("Recording email %s as %s failed (%s); retrying on a new connection", row.pk, status, exc)
            connection.close()
            time.sleep(0.2 * 2**attempt)


def outbox_due_ids(*, limit: int = 1000) -> list[int]:
    """Rows a lost task left behind: queued and due, or stuck in `sending` past OUTBOX_STUCK_AFTER."""
    now = timezone.now()
    stuck = list(
        OutboundEmail.objects.filter(
            status=OutboundEmail.Status.SENDING, locked_at__lt=now - settings.OUTBOX_STUCK_AFTER
        ).values_list("id", flat=True)[:limit]
    )
    if stuck:
        OutboundEmail.objects.filter(pk__in=stuck, status=OutboundEmail.Status.SENDING).update(
            status=OutboundEmail.Status.QUEUED, locked_at=None, next_attempt_at=None, updated_at=now
        )
    # Rows queued in the last 30 seconds still have their own task on the way.
    waiting = (
        OutboundEmail.objects.filter(status=OutboundEmail.Status.QUEUED, updated_at__lt=now - timedelta(seconds=30))
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("id")
        .values_list("id", flat=True)[: max(0, limit - len(stuck))]
    )
    return sorted({*stuck, *waiting})


@transaction.atomic
def outbox_retry(*, email: OutboundEmail, actor, request=None) -> OutboundEmail:
    from portal.errors import ApplicationError
    from portal.services.audit import audit_record

    email = OutboundEmail.objects.select_for_update().get(pk=email.pk)
    if email.status != OutboundEmail.Status.FAILED:
        raise ApplicationError("Only failed emails can be retried.")
    email.status = OutboundEmail.Status.QUEUED
    email.attempts = 0
    email.next_attempt_at = None
    email.save(update_fields=["status", "attempts", "next_attempt_at", "updated_at"])
    audit_record(action="outbox.retry", actor=actor, target=email, request=request, details={"to": email.to_email})
    _enqueue_on_commit([email.pk])
    return email
