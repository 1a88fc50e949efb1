"""Breach register: incidents, one notification per affected organisation (due 48 hours after awareness),
numbered follow-ups, and acknowledgement by signed link or from the portal.

Every notification is also an Obligation of kind `breach_notification`, so the register, the reminders
(24h/12h/4h/1h before, overdue alert at the deadline) and the exports treat it like every other duty.
"""

import datetime as dt

from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from dpa.models import BLOCKS, BreachFollowUp, BreachIncident, BreachNotification, Obligation
from dpa.services.obligations import (
    obligation_complete,
    obligation_create,
    obligation_due_at,
    obligation_reschedule,
)
from portal.calendar import local_date
from portal.errors import ApplicationError
from portal.models import Organisation
from portal.services.audit import Actor, audit_record, diff, snapshot
from portal.services.outbox import email_queue

ACK_SALT = "dpa.breach-ack"
INCIDENT_FIELDS = [
    "title",
    "aware_at",
    "detected_by",
    "description",
    "severity",
    "status",
    *[f for key, _ in BLOCKS for f in (key, f"{key}_pending")],
]

AWARE_IN_FUTURE = "The awareness time cannot be in the future."
AWARE_LOCKED = "The awareness time cannot change after a notification was sent: the deadlines it set are evidence."
BLOCKS_EMPTY = "Fill in or mark as “not yet known — will follow” every required block before sending: {blocks}."
ALREADY_SENT = "This notification was already sent to {org}."
NO_CONTACT = "{org} has neither a breach contact nor a privacy-notice contact. Add one before sending."
NOTHING_TO_SEND = "Every notification of this incident was already sent."
NOT_SENT_YET = "Send the first notification before any follow-up."
NO_ORGANISATIONS = "Choose at least one affected organisation, or all customers."
INCIDENT_CLOSED = "This incident is closed."
ACK_INVALID = "This acknowledgement link is not valid. Use the link from the email, or acknowledge from the portal."
FOLLOWUP_EMPTY = "Say what changed in this update."
SUBPROCESSOR_REQUIRED = "Choose the sub-processor whose customers are affected."
SUBPROCESSOR_NOT_ENGAGED = "{name} was not on the sub-processor list on {day}, the day we became aware."


def _incident_snapshot(incident: BreachIncident) -> dict:
    return snapshot(incident, INCIDENT_FIELDS)


def _blocks_missing_message(incident: BreachIncident) -> str:
    return BLOCKS_EMPTY.format(blocks="; ".join(b["label"] for b in incident.empty_blocks()))


def breach_deadline(aware_at: dt.datetime) -> dt.datetime:
    """48 real hours, computed in UTC: adding to a Europe/Amsterdam datetime would add wall-clock hours and be
    an hour off across a DST change."""
    return obligation_due_at(kind=Obligation.Kind.BREACH_NOTIFICATION, received_at=aware_at)


def breach_recipient(organisation: Organisation) -> tuple[str, bool]:
    """(email, is_fallback): the breach contact, else the privacy-notice contact (flagged), else ("", True)."""
    if organisation.breach_contact_email:
        return organisation.breach_contact_email, False
    return organisation.privacy_contact_email, True


def breach_affected_organisations(
    *, scope: str, organisations=(), subprocessor=None, aware_at: dt.datetime | None = None
) -> list[Organisation]:
    """The organisations a scope covers.

    "Customers using a sub-processor": the portal records no per-customer choice of sub-processors — the
    published list applies to every customer under the DPA — so it is every customer organisation, provided the
    sub-processor was on the list on the day we became aware (else the scope is refused as a likely mistake).
    """
    if scope == BreachIncident.Scope.SUBPROCESSOR:
        if subprocessor is None:
            raise ApplicationError(SUBPROCESSOR_REQUIRED, field="subprocessor")
        from subprocessors.selectors.subprocessors import subprocessors_as_of

        day = local_date(aware_at or timezone.now())
        if subprocessor.pk not in {s.pk for s in subprocessors_as_of(day)}:
            raise ApplicationError(
                SUBPROCESSOR_NOT_ENGAGED.format(name=subprocessor.name, day=day), field="subprocessor"
            )
        return list(Organisation.objects.order_by("name"))
    if scope == BreachIncident.Scope.ALL:
        return list(Organisation.objects.order_by("name"))
    return sorted(set(organisations), key=lambda o: o.name)


def _notification_add(*, incident: BreachIncident, organisation: Organisation, actor, request=None):
    existing = BreachNotification.objects.filter(incident=incident, organisation=organisation).first()
    if existing is not None:
        return existing, False
    email, fallback = breach_recipient(organisation)
    notification = BreachNotification.objects.create(
        incident=incident,
        organisation=organisation,
        deadline=breach_deadline(incident.aware_at),
        recipient_email=email,
        recipient_is_fallback=fallback,
    )
    notification.obligation = obligation_create(
        kind=Obligation.Kind.BREACH_NOTIFICATION,
        organisation=organisation,
        received_at=incident.aware_at,
        actor=actor,
        source=f"dpa.BreachNotification:{notification.pk}",
        title=f"Breach notification: {incident.title}"[:200],
        request=request,
    )
    notification.save(update_fields=["obligation", "updated_at"])
    audit_record(
        action="breach.notification_created",
        actor=actor,
        target=notification,
        organisation=organisation,
        request=request,
        details={
            "incident": incident.pk,
            "deadline": notification.deadline,
            "recipient": email,
            "recipient_is_fallback": fallback,
        },
    )
    return notification, True


@transaction.atomic
def breach_incident_create(
    *,
    actor,
    organisations=(),
    scope: str = BreachIncident.Scope.SELECTED,
    subprocessor=None,
    request=None,
    **fields,
) -> BreachIncident:
    aware_at = fields.get("aware_at")
    if aware_at and aware_at > timezone.now() + dt.timedelta(minutes=1):
        raise ApplicationError(AWARE_IN_FUTURE, field="aware_at")
    affected = breach_affected_organisations(
        scope=scope, organisations=organisations, subprocessor=subprocessor, aware_at=aware_at
    )
    if not affected:
        raise ApplicationError(NO_ORGANISATIONS, field="organisations")
    incident = BreachIncident(
        scope=scope,
        subprocessor=subprocessor if scope == BreachIncident.Scope.SUBPROCESSOR else None,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    for name, value in fields.items():
        setattr(incident, name, value)
    incident.full_clean()
    incident.save()
    audit_record(
        action="breach.incident_created",
        actor=actor,
        target=incident,
        request=request,
        details={
            "incident": incident.pk,
            "after": _incident_snapshot(incident),
            "scope": scope,
            "subprocessor": subprocessor.slug if incident.subprocessor else "",
        },
    )
    for organisation in affected:
        _notification_add(incident=incident, organisation=organisation, actor=actor, request=request)
    return incident


@transaction.atomic
def breach_incident_update(*, incident: BreachIncident, actor, data: dict, request=None) -> BreachIncident:
    incident = BreachIncident.objects.select_for_update().get(pk=incident.pk)
    before = _incident_snapshot(incident)
    old_aware = incident.aware_at
    new_aware = data.get("aware_at", old_aware)
    if new_aware != old_aware:
        if new_aware > timezone.now() + dt.timedelta(minutes=1):
            raise ApplicationError(AWARE_IN_FUTURE, field="aware_at")
        if incident.notifications.filter(sent_at__isnull=False).exists():
            raise ApplicationError(AWARE_LOCKED, field="aware_at")
    for name, value in data.items():
        if name not in INCIDENT_FIELDS:
            raise ValueError(f"{name} is not an incident field")
        setattr(incident, name, value)
    incident.full_clean()
    incident.save()
    changes = diff(before, _incident_snapshot(incident))
    if changes["after"]:
        audit_record(
            action="breach.incident_updated",
            actor=actor,
            target=incident,
            request=request,
            details={"incident": incident.pk, **changes},
        )
    if new_aware != old_aware:
        for notification in incident.notifications.select_related("obligation"):
            notification.deadline = breach_deadline(incident.aware_at)
            notification.save(update_fields=["deadline", "updated_at"])
            if notification.obligation is not None:
                obligation_reschedule(
                    obligation=notification.obligation, received_at=incident.aware_at, actor=actor, request=request
                )
    return incident


@transaction.atomic
def breach_organisations_add(
    *,
    incident: BreachIncident,
    actor,
    organisations=(),
    scope: str = BreachIncident.Scope.SELECTED,
    subprocessor=None,
    request=None,
) -> list[BreachNotification]:
    incident = BreachIncident.objects.select_for_update().get(pk=incident.pk)
    if incident.status == BreachIncident.Status.CLOSED:
        raise ApplicationError(INCIDENT_CLOSED)
    affected = breach_affected_organisations(
        scope=scope, organisations=organisations, subprocessor=subprocessor, aware_at=incident.aware_at
    )
    if not affected:
        raise ApplicationError(NO_ORGANISATIONS, field="organisations")
    created = []
    for organisation in affected:
        notification, is_new = _notification_add(
            incident=incident, organisation=organisation, actor=actor, request=request
        )
        if is_new:
            created.append(notification)
    if scope != BreachIncident.Scope.SELECTED and incident.scope != scope:
        incident.scope = scope
        incident.subprocessor = subprocessor if scope == BreachIncident.Scope.SUBPROCESSOR else None
        incident.save(update_fields=["scope", "subprocessor", "updated_at"])
    return created


def breach_ack_token(notification: BreachNotification) -> str:
    return signing.dumps({"n": str(notification.public_id)}, salt=ACK_SALT, compress=True)


def breach_ack_url(notification: BreachNotification) -> str:
    from django.conf import settings

    return settings.SITE_URL + reverse("dpa_breach_ack", args=[breach_ack_token(notification)])


def breach_notification_from_token(token: str) -> BreachNotification:
    try:
        payload = signing.loads(token, salt=ACK_SALT)
        public_id = payload["n"]
    except (signing.BadSignature, KeyError, TypeError):
        raise ApplicationError(ACK_INVALID)
    notification = (
        BreachNotification.objects.select_related("incident", "organisation").filter(public_id=public_id).first()
    )
    if notification is None or notification.sent_at is None:
        raise ApplicationError(ACK_INVALID)
    return notification


def _email_context(notification: BreachNotification, incident: BreachIncident) -> dict:
    from django.conf import settings

    return {
        "processor_name": settings.PORTAL_PROCESSOR_NAME,
        "notification": notification,
        "incident": incident,
        "organisation": notification.organisation,
        "blocks": incident.blocks(),
        "pending": incident.pending_blocks(),
        "ack_url": breach_ack_url(notification),
        "portal_url": reverse(
            "dpa_org_breach_detail", args=[notification.organisation.public_id, notification.public_id]
        ),
    }


@transaction.atomic
def breach_notification_send(*, notification: BreachNotification, actor, request=None) -> BreachNotification:
    """Send the first notice. Refused while a block is neither filled nor marked pending."""
    notification = (
        BreachNotification.objects.select_for_update(of=("self",))
        .select_related("incident", "organisation", "obligation")
        .get(pk=notification.pk)
    )
    incident = notification.incident
    if notification.sent_at is not None:
        raise ApplicationError(ALREADY_SENT.format(org=notification.organisation.name))
    if incident.empty_blocks():
        raise ApplicationError(_blocks_missing_message(incident))
    email, fallback = breach_recipient(notification.organisation)
    if not email:
        raise ApplicationError(NO_CONTACT.format(org=notification.organisation.name))
    now = timezone.now()
    notification.recipient_email = email
    notification.recipient_is_fallback = fallback
    notification.sent_at = now
    notification.sent_by = actor if getattr(actor, "is_authenticated", False) else None
    notification.pending_at_send = [b["key"] for b in incident.pending_blocks()]
    notification.save()
    email_queue(
        key=f"breach-notice:{notification.pk}",
        to=email,
        template="dpa/breach_notice",
        context=_email_context(notification, incident),
        organisation=notification.organisation,
        ref=notification,
    )
    if notification.obligation is not None and notification.obligation.is_open:
        obligation_complete(
            obligation=notification.obligation,
            evidence=f"Breach notification emailed to {email} at {now:%Y-%m-%d %H:%M:%S} UTC.",
            completed_at=now,
            actor=actor,
            request=request,
        )
    audit_record(
        action="breach.notification_sent",
        actor=actor,
        target=notification,
        organisation=notification.organisation,
        request=request,
        details={
            "incident": incident.pk,
            "to": email,
            "recipient_is_fallback": fallback,
            "deadline": notification.deadline,
            "sent_at": now,
            "on_time": now <= notification.deadline,
            "pending_blocks": notification.pending_at_send,
            "contents": incident.blocks(),
        },
    )
    return notification


def breach_notifications_send_all(*, incident: BreachIncident, actor, request=None) -> list[BreachNotification]:
    """Send every unsent notification of the incident, all or none."""
    unsent = list(incident.notifications.filter(sent_at__isnull=True).select_related("organisation"))
    if not unsent:
        raise ApplicationError(NOTHING_TO_SEND)
    with transaction.atomic():
        return [breach_notification_send(notification=n, actor=actor, request=request) for n in unsent]


@transaction.atomic
def breach_followup_send(*, incident: BreachIncident, message: str, actor, request=None) -> list[BreachFollowUp]:
    """Send a numbered update on every notification already sent, with the incident's current contents."""
    incident = BreachIncident.objects.select_for_update().get(pk=incident.pk)
    if not message.strip():
        raise ApplicationError(FOLLOWUP_EMPTY, field="message")
    if incident.empty_blocks():
        raise ApplicationError(_blocks_missing_message(incident))
    sent = list(
        incident.notifications.filter(sent_at__isnull=False)
        .select_related("organisation")
        .select_for_update(of=("self",))
    )
    if not sent:
        raise ApplicationError(NOT_SENT_YET)
    now = timezone.now()
    followups = []
    for notification in sent:
        number = (notification.followups.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        followup = BreachFollowUp.objects.create(
            notification=notification,
            number=number,
            message=message.strip(),
            contents=incident.blocks(),
            sent_at=now,
            sent_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        to, _ = breach_recipient(notification.organisation)
        to = to or notification.recipient_email
        email_queue(
            key=f"breach-followup:{followup.pk}",
            to=to,
            template="dpa/breach_followup",
            context={**_email_context(notification, incident), "followup": followup},
            organisation=notification.organisation,
            ref=notification,
        )
        audit_record(
            action="breach.followup_sent",
            actor=actor,
            target=notification,
            organisation=notification.organisation,
            request=request,
            details={
                "incident": incident.pk,
                "number": number,
                "to": to,
                "message": followup.message,
                "pending_blocks": [b["key"] for b in incident.pending_blocks()],
                "contents": followup.contents,
            },
        )
        followups.append(followup)
    return followups


@transaction.atomic
def breach_acknowledge(
    *, notification: BreachNotification, via: str, actor, request=None
) -> tuple[BreachNotification, bool]:
    """Record the controller's acknowledgement once. Returns (notification, changed); a repeat changes nothing."""
    notification = (
        BreachNotification.objects.select_for_update(of=("self",))
        .select_related("incident", "organisation")
        .get(pk=notification.pk)
    )
    if notification.sent_at is None:
        raise ApplicationError(ACK_INVALID)
    if notification.acknowledged_at is not None:
        return notification, False
    label = actor.label if isinstance(actor, Actor) else getattr(actor, "email", "") or "unknown"
    notification.acknowledged_at = timezone.now()
    notification.acknowledged_by = label[:254]
    notification.acknowledged_via = via
    notification.save(update_fields=["acknowledged_at", "acknowledged_by", "acknowledged_via", "updated_at"])
    audit_record(
        action="breach.notification_acknowledged",
        actor=actor,
        target=notification,
        organisation=notification.organisation,
        request=request,
        details={"incident": notification.incident_id, "via": via, "acknowledged_at": notification.acknowledged_at},
    )
    return notification, True
