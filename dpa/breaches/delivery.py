"""What the outbox tells the breach register: a notice or update was delivered (the mail server accepted it) or
finally failed. Registered with `portal.delivery.events_bus` in DpaConfig.ready().

Delivered: the notification records the time and Message-ID, and its 48-hour obligation completes with them as
evidence — this is the only way a breach obligation completes. Failed: the notification becomes `failed`, the
legal lead is emailed at once, the staff home shows it red, and it stays open (reminders and the overdue alert
keep firing) until staff resend it to an address that works.

The handlers run in the transaction that marks the email row, and may run again for the same row after a lost
connection: each one checks what it already recorded and does nothing the second time.
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from dpa.breaches import events
from dpa.breaches.models import BreachFollowUp, BreachNotification
from dpa.breaches.services import breach_notice_check, breach_notice_queue
from portal.core.errors import ApplicationError
from portal.deadlines.obligations import obligation_complete
from portal.delivery.events_bus import on_email_delivered, on_email_failed
from portal.delivery.models import OutboundEmail
from portal.delivery.outbox import email_queue

NOTICE_TEMPLATE = "breach_notice"
FOLLOWUP_TEMPLATE = "breach_followup"

RESEND_NOT_FAILED = "Only a notification whose delivery failed can be sent again."
RESEND_BAD_ADDRESS = "Enter a valid email address."


def _utc(moment: dt.datetime) -> str:
    return f"{moment.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC"


def breach_delivery_evidence(notification: BreachNotification) -> str:
    assert notification.delivered_at is not None  # evidence of a delivery that happened
    return (
        f"Breach notification delivered to {notification.recipient_email} at {_utc(notification.delivered_at)} "
        f"(Message-ID {notification.delivered_message_id})."
    )


def _notification_for(row: OutboundEmail):
    return (
        BreachNotification.objects.select_for_update(of=("self",))
        .select_related("incident", "organisation", "obligation")
        .filter(pk=row.ref_id)
        .first()
    )


def notice_delivered(row: OutboundEmail) -> None:
    """The notice's email was accepted: record it (the first delivery counts) and complete the obligation."""
    notification = _notification_for(row)
    if notification is None or notification.delivered_at is not None:
        return
    notification.status = (
        BreachNotification.Status.ACKNOWLEDGED if notification.acknowledged_at else BreachNotification.Status.DELIVERED
    )
    notification.delivered_at = row.sent_at
    notification.delivered_message_id = row.message_id
    notification.recipient_email = row.to_email
    notification.email = row
    notification.full_clean()
    notification.save()
    if notification.obligation is not None and notification.obligation.is_open:
        obligation_complete(
            obligation=notification.obligation,
            evidence=breach_delivery_evidence(notification),
            completed_at=notification.delivered_at,
            actor=events.DELIVERED_BY,
        )
    events.breach_notification_delivered(notification=notification, row=row)


def notice_failed(row: OutboundEmail) -> None:
    """Every attempt was refused: unless another email of the notice was delivered or replaced this one, the
    notification is `failed` and the legal lead hears of it now."""
    notification = _notification_for(row)
    if notification is None or notification.delivered_at is not None or notification.email_id != row.pk:
        return
    if notification.status == BreachNotification.Status.FAILED:
        return
    notification.status = BreachNotification.Status.FAILED
    notification.failed_at = timezone.now()
    notification.failure_reason = row.last_error
    notification.full_clean()
    notification.save()
    _alert_legal_lead(notification=notification, row=row, followup=None)
    events.breach_notification_failed(notification=notification, row=row)


def _followup_for(row: OutboundEmail, *, legacy: bool = False):
    qs = BreachFollowUp.objects.select_for_update(of=("self",)).select_related(
        "notification__incident", "notification__organisation"
    )
    # Updates queued before delivery was tracked point at their notification; they are found by their email.
    return (qs.filter(email=row) if legacy else qs.filter(pk=row.ref_id)).first()


def followup_delivered(row: OutboundEmail, *, legacy: bool = False) -> None:
    followup = _followup_for(row, legacy=legacy)
    if followup is None or followup.delivered_at is not None:
        return
    followup.status = BreachFollowUp.Status.DELIVERED
    followup.delivered_at = row.sent_at
    followup.delivered_message_id = row.message_id
    followup.email = row
    followup.save()
    events.breach_followup_delivered(followup=followup, row=row)


def followup_failed(row: OutboundEmail, *, legacy: bool = False) -> None:
    followup = _followup_for(row, legacy=legacy)
    if followup is None or followup.delivered_at is not None or followup.status == BreachFollowUp.Status.FAILED:
        return
    followup.status = BreachFollowUp.Status.FAILED
    followup.failed_at = timezone.now()
    followup.failure_reason = row.last_error
    followup.save()
    notification = followup.notification
    _alert_legal_lead(notification=notification, row=row, followup=followup)
    events.breach_followup_failed(followup=followup, row=row)


def _alert_legal_lead(*, notification: BreachNotification, row: OutboundEmail, followup) -> None:
    # About the obligation, not the notice: this alert's own delivery must not count as the notice's.
    email_queue(
        key=f"breach-delivery-failed:{row.pk}",
        to=settings.PORTAL_LEGAL_LEAD_EMAIL,
        template="breach_delivery_failed",
        context={
            "notification": notification,
            "incident": notification.incident,
            "followup": followup,
            "email": row,
            "now": timezone.now(),
        },
        organisation=notification.organisation,
        ref=notification.obligation,
    )


@on_email_delivered("breaches.BreachNotification")
def _notification_email_delivered(row: OutboundEmail) -> None:
    if row.template == NOTICE_TEMPLATE:
        notice_delivered(row)
    elif row.template == FOLLOWUP_TEMPLATE:
        followup_delivered(row, legacy=True)


@on_email_failed("breaches.BreachNotification")
def _notification_email_failed(row: OutboundEmail) -> None:
    if row.template == NOTICE_TEMPLATE:
        notice_failed(row)
    elif row.template == FOLLOWUP_TEMPLATE:
        followup_failed(row, legacy=True)


@on_email_delivered("breaches.BreachFollowUp")
def _followup_email_delivered(row: OutboundEmail) -> None:
    if row.template == FOLLOWUP_TEMPLATE:
        followup_delivered(row)


@on_email_failed("breaches.BreachFollowUp")
def _followup_email_failed(row: OutboundEmail) -> None:
    if row.template == FOLLOWUP_TEMPLATE:
        followup_failed(row)


@transaction.atomic
def breach_notification_resend(*, notification: BreachNotification, to: str, actor, request=None):
    """Send a failed notice again, as a new email (to another address if the first one refused it), with the
    incident's current contents. The notification is queued again and keeps counting down to its deadline."""
    notification = (
        BreachNotification.objects.select_for_update(of=("self",))
        .select_related("incident", "organisation")
        .get(pk=notification.pk)
    )
    if notification.status != BreachNotification.Status.FAILED:
        raise ApplicationError(RESEND_NOT_FAILED)
    to = (to or "").strip()
    try:
        validate_email(to)
    except ValidationError:
        raise ApplicationError(RESEND_BAD_ADDRESS, field="to")
    breach_notice_check(notification.incident)
    failed_email_id = notification.email_id
    previous_to = notification.recipient_email
    row = breach_notice_queue(
        notification=notification, to=to, key=f"breach-notice:{notification.pk}:resend-after:{failed_email_id}"
    )
    now = timezone.now()
    organisation = notification.organisation
    notification.status = BreachNotification.Status.QUEUED
    notification.email = row
    notification.recipient_email = to
    notification.recipient_is_fallback = (
        not organisation.breach_contact_email and to == organisation.privacy_contact_email
    )
    notification.queued_at = now
    notification.queued_by = actor if getattr(actor, "is_authenticated", False) else None
    notification.full_clean()
    notification.save()
    events.breach_notification_resent(
        notification=notification,
        row=row,
        previous_to=previous_to,
        failed_email_id=failed_email_id,
        actor=actor,
        request=request,
    )
    return notification
