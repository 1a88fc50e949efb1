"""Breach register: incidents, one notification per affected organisation (due 48 hours after awareness),
numbered follow-ups, and acknowledgement by signed link or from the portal.

Every notification is also an Obligation of kind `breach_notification`, so the register, the reminders
(24h/12h/4h/1h before, overdue alert at the deadline) and the exports treat it like every other duty.

Sending only queues the email. A notification notifies when its email is *delivered* (the mail server accepted
it): `dpa.breaches.delivery` hears that from the outbox, records the time and Message-ID and completes the
obligation; until then the deadline keeps counting down.

Deadlines run from the incident's `earliest_aware_at`, the earliest awareness time ever recorded. Once a
notification was sent or the deadline passed, the awareness time is fixed: it can only move earlier, with a
reason (see `breach_awareness_change`).
"""

import datetime as dt

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from dpa.breaches import events
from dpa.breaches.models import (
    BLOCKS,
    DELIVERED_STATES,
    NATURE_MIN_LENGTH,
    BreachAwarenessChange,
    BreachFollowUp,
    BreachIncident,
    BreachNotification,
)
from portal.audit.services import Actor, diff, snapshot
from portal.core.errors import ApplicationError
from portal.deadlines.calendar import local_date
from portal.deadlines.models import Obligation
from portal.deadlines.obligations import obligation_create, obligation_due_at, obligation_reschedule
from portal.delivery.outbox import email_queue
from portal.organisations.models import Organisation
from subprocessors.listing.selectors import subprocessors_as_of

ACK_SALT = "dpa.breach-ack"
# Fields staff edit freely; the awareness time has its own rules (breach_awareness_change).
INCIDENT_FIELDS = [
    "title",
    "detected_by",
    "description",
    "severity",
    "status",
    *[f for key, _ in BLOCKS for f in (key, f"{key}_pending")],
]

AWARE_IN_FUTURE = "The awareness time cannot be in the future."
AWARE_LOCKED = (
    "The awareness time is fixed because {why}: it can only move earlier (we knew sooner than recorded), "
    "with a reason. Deadlines run from the earliest awareness time ever recorded."
)
AWARE_LOCKED_SENT = "a notification was already sent"
AWARE_LOCKED_DEADLINE = "the 48-hour deadline has passed"
AWARE_REASON_REQUIRED = "Say why the awareness time changes: the reason is kept with the incident and shown with it."
BLOCKS_EMPTY = "Fill in or mark as “not yet known — will follow” every required block before sending: {blocks}."
NATURE_TOO_SHORT = (
    f"Describe the nature of the breach (i) in at least {NATURE_MIN_LENGTH} characters: what happened, which "
    "categories of data subjects and about how many."
)
NATURE_REQUIRED = (
    f"The first notice must describe the nature of the breach (i), in at least {NATURE_MIN_LENGTH} characters; "
    "it cannot be marked “will follow”."
)
ALREADY_SENT = "This notification to {org} was already sent ({status})."
NO_CONTACT = "{org} has neither a breach contact nor a privacy-notice contact. Add one before sending."
NO_CONTACT_POINT = (
    "No privacy/DPO contact point is configured (PORTAL_DPO_EMAIL): every breach notice must name one "
    "(GDPR Art. 33(3)(b))."
)
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


def _meaningful_length(text: str) -> int:
    return len(" ".join(text.split()))


def _check_nature(incident: BreachIncident) -> None:
    """A nature text, once written, says something: at least NATURE_MIN_LENGTH characters."""
    if incident.nature.strip() and _meaningful_length(incident.nature) < NATURE_MIN_LENGTH:
        raise ApplicationError(NATURE_TOO_SHORT, field="nature")


def breach_deadline(aware_at: dt.datetime) -> dt.datetime:
    """48 real hours, computed in UTC: adding to a Europe/Amsterdam datetime would add wall-clock hours and be
    an hour off across a DST change. Pass the incident's `earliest_aware_at`."""
    return obligation_due_at(kind=Obligation.Kind.BREACH_NOTIFICATION, received_at=aware_at)


def breach_contact_point() -> dict:
    """The processor's privacy/DPO contact, stated in every breach notice (GDPR Art. 33(3)(b))."""
    return {
        "name": settings.PORTAL_DPO_NAME,
        "email": settings.PORTAL_DPO_EMAIL,
        "phone": settings.PORTAL_DPO_PHONE,
    }


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
        deadline=breach_deadline(incident.earliest_aware_at),
        recipient_email=email,
        recipient_is_fallback=fallback,
    )
    notification.obligation = obligation_create(
        kind=Obligation.Kind.BREACH_NOTIFICATION,
        organisation=organisation,
        received_at=incident.earliest_aware_at,
        actor=actor,
        source=f"breaches.BreachNotification:{notification.pk}",
        title=f"Breach notification: {incident.title}"[:200],
        request=request,
    )
    notification.save(update_fields=["obligation", "updated_at"])
    events.breach_notification_created(notification=notification, actor=actor, request=request)
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
    incident.earliest_aware_at = incident.aware_at
    _check_nature(incident)
    incident.full_clean()
    incident.save()
    events.breach_incident_created(incident=incident, after=_incident_snapshot(incident), actor=actor, request=request)
    for organisation in affected:
        _notification_add(incident=incident, organisation=organisation, actor=actor, request=request)
    return incident


def breach_awareness_lock(incident: BreachIncident, *, notifications=None, now=None) -> str:
    """Why the awareness time is fixed ("" while it is not): a notification left the drafted state (its email
    states the awareness time), or the deadline from the earliest awareness time passed. Pass the incident's
    notifications when already loaded."""
    now = now or timezone.now()
    if notifications is None:
        sent = incident.notifications.exclude(status=BreachNotification.Status.DRAFTED).exists()
    else:
        sent = any(n.status != BreachNotification.Status.DRAFTED for n in notifications)
    if sent:
        return AWARE_LOCKED_SENT
    if now >= breach_deadline(incident.earliest_aware_at):
        return AWARE_LOCKED_DEADLINE
    return ""


def _awareness_change(
    *, incident: BreachIncident, aware_at: dt.datetime, reason: str, actor, request=None
) -> BreachAwarenessChange | None:
    """Move the recorded awareness time of a locked (select_for_update) incident.

    Before anything was sent and before the deadline, it may be corrected either way; once fixed, only earlier.
    Either way deadlines run from the earliest time ever recorded: a later correction changes what the notice
    states, never the time we have. Moving earlier recomputes every deadline and obligation, so a notification
    delivered before the old deadline but after the new one is then recorded as late.
    """
    now = timezone.now()
    if aware_at == incident.aware_at:
        return None
    if aware_at > now + dt.timedelta(minutes=1):
        raise ApplicationError(AWARE_IN_FUTURE, field="aware_at")
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(AWARE_REASON_REQUIRED, field="awareness_reason")
    locked = breach_awareness_lock(incident, now=now)
    if locked and aware_at > incident.aware_at:
        raise ApplicationError(AWARE_LOCKED.format(why=locked), field="aware_at")
    before, earliest_before = incident.aware_at, incident.earliest_aware_at
    incident.aware_at = aware_at
    incident.earliest_aware_at = min(earliest_before, aware_at)
    incident.save(update_fields=["aware_at", "earliest_aware_at", "updated_at"])
    label = actor.label if isinstance(actor, Actor) else getattr(actor, "email", "") or "system"
    change = BreachAwarenessChange(
        incident=incident,
        before=before,
        after=aware_at,
        earliest_before=earliest_before,
        earliest_after=incident.earliest_aware_at,
        reason=reason,
        after_notice=bool(locked),
        changed_by=actor if getattr(actor, "is_authenticated", False) else None,
        changed_by_label=label[:254],
    )
    change.full_clean()
    change.save()
    events.breach_awareness_changed(change=change, fixed=locked, actor=actor, request=request)
    if incident.earliest_aware_at != earliest_before:
        deadline = breach_deadline(incident.earliest_aware_at)
        for notification in incident.notifications.select_related("obligation"):
            notification.deadline = deadline
            notification.save(update_fields=["deadline", "updated_at"])
            if notification.obligation is not None:
                obligation_reschedule(
                    obligation=notification.obligation,
                    received_at=incident.earliest_aware_at,
                    actor=actor,
                    request=request,
                )
    return change


@transaction.atomic
def breach_incident_update(
    *, incident: BreachIncident, actor, data: dict, awareness_reason: str = "", request=None
) -> BreachIncident:
    incident = BreachIncident.objects.select_for_update().get(pk=incident.pk)
    data = dict(data)
    new_aware = data.pop("aware_at", incident.aware_at)
    before = _incident_snapshot(incident)
    for name, value in data.items():
        if name not in INCIDENT_FIELDS:
            raise ValueError(f"{name} is not an incident field")
        setattr(incident, name, value)
    _check_nature(incident)
    incident.full_clean()
    incident.save()
    changes = diff(before, _incident_snapshot(incident))
    if changes["after"]:
        events.breach_incident_updated(incident=incident, changes=changes, actor=actor, request=request)
    _awareness_change(incident=incident, aware_at=new_aware, reason=awareness_reason, actor=actor, request=request)
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
    return settings.SITE_URL + reverse("breaches:ack", args=[breach_ack_token(notification)])


def breach_notification_from_token(token: str) -> BreachNotification:
    """The notification a signed link points at; refused unless its notice was delivered."""
    try:
        payload = signing.loads(token, salt=ACK_SALT)
        public_id = payload["n"]
    except (signing.BadSignature, KeyError, TypeError):
        raise ApplicationError(ACK_INVALID)
    notification = (
        BreachNotification.objects.select_related("incident", "organisation").filter(public_id=public_id).first()
    )
    if notification is None or notification.delivered_at is None:
        raise ApplicationError(ACK_INVALID)
    return notification


def breach_email_context(notification: BreachNotification, incident: BreachIncident) -> dict:
    return {
        "processor_name": settings.PORTAL_PROCESSOR_NAME,
        "notification": notification,
        "incident": incident,
        "organisation": notification.organisation,
        "blocks": incident.blocks(),
        "pending": incident.pending_blocks(),
        "contact_point": breach_contact_point(),
        "awareness_changes": list(incident.awareness_changes.filter(after_notice=True)),
        "ack_url": breach_ack_url(notification),
        "portal_url": reverse(
            "breaches:notification_detail", args=[notification.organisation.public_id, notification.public_id]
        ),
    }


def breach_notice_check(incident: BreachIncident) -> None:
    """What a first notice (or a resend of it) must contain: every block filled or marked to follow, the nature
    (i) described, and a contact point."""
    if incident.empty_blocks():
        raise ApplicationError(_blocks_missing_message(incident))
    if incident.nature_pending or _meaningful_length(incident.nature) < NATURE_MIN_LENGTH:
        raise ApplicationError(NATURE_REQUIRED)
    if not settings.PORTAL_DPO_EMAIL:
        raise ApplicationError(NO_CONTACT_POINT)


def breach_notice_queue(*, notification: BreachNotification, to: str, key: str):
    """Write the notice email to the outbox (delivered after commit); the caller holds the notification's lock."""
    incident = notification.incident
    notification.pending_at_send = [b["key"] for b in incident.pending_blocks()]
    return email_queue(
        key=key,
        to=to,
        template="breach_notice",
        context=breach_email_context(notification, incident),
        organisation=notification.organisation,
        ref=notification,
    )


@transaction.atomic
def breach_notification_send(*, notification: BreachNotification, actor, request=None) -> BreachNotification:
    """Queue the first notice. Refused while a block is empty, the nature is not described, or it was already
    sent. It counts as notifying only once delivered (see dpa.breaches.delivery)."""
    notification = (
        BreachNotification.objects.select_for_update(of=("self",))
        .select_related("incident", "organisation", "obligation")
        .get(pk=notification.pk)
    )
    incident = notification.incident
    if notification.status != BreachNotification.Status.DRAFTED:
        raise ApplicationError(
            ALREADY_SENT.format(org=notification.organisation.name, status=notification.status_label.lower())
        )
    breach_notice_check(incident)
    email, fallback = breach_recipient(notification.organisation)
    if not email:
        raise ApplicationError(NO_CONTACT.format(org=notification.organisation.name))
    now = timezone.now()
    notification.recipient_email = email
    notification.recipient_is_fallback = fallback
    notification.status = BreachNotification.Status.QUEUED
    notification.queued_at = now
    notification.queued_by = actor if getattr(actor, "is_authenticated", False) else None
    row = breach_notice_queue(notification=notification, to=email, key=f"breach-notice:{notification.pk}")
    notification.email = row
    notification.full_clean()
    notification.save()
    events.breach_notification_queued(
        notification=notification, row=row, contact_point=breach_contact_point(), actor=actor, request=request
    )
    return notification


def breach_notifications_send_all(*, incident: BreachIncident, actor, request=None) -> list[BreachNotification]:
    """Queue every notification not sent yet, all or none. Failed ones are resent one by one (to an address)."""
    unsent = list(
        incident.notifications.filter(status=BreachNotification.Status.DRAFTED).select_related("organisation")
    )
    if not unsent:
        raise ApplicationError(NOTHING_TO_SEND)
    with transaction.atomic():
        return [breach_notification_send(notification=n, actor=actor, request=request) for n in unsent]


# Follow-ups go to every notice on its way or delivered: queued behind the notice in the outbox, an update never
# overtakes it, and nobody misses one. A failed notice gets the current contents when it is resent.
FOLLOWUP_TARGETS = (BreachNotification.Status.QUEUED, *DELIVERED_STATES)


@transaction.atomic
def breach_followup_send(*, incident: BreachIncident, message: str, actor, request=None) -> list[BreachFollowUp]:
    """Queue a numbered update on every notification sent, with the incident's current contents."""
    incident = BreachIncident.objects.select_for_update().get(pk=incident.pk)
    if not message.strip():
        raise ApplicationError(FOLLOWUP_EMPTY, field="message")
    if incident.empty_blocks():
        raise ApplicationError(_blocks_missing_message(incident))
    sent = list(
        incident.notifications.filter(status__in=FOLLOWUP_TARGETS)
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
            queued_at=now,
            queued_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        # The address the notice went to: after a resend to another address, that is the one that works.
        to = notification.recipient_email or breach_recipient(notification.organisation)[0]
        followup.email = email_queue(
            key=f"breach-followup:{followup.pk}",
            to=to,
            template="breach_followup",
            context={**breach_email_context(notification, incident), "followup": followup},
            organisation=notification.organisation,
            ref=followup,
        )
        followup.save(update_fields=["email", "updated_at"])
        events.breach_followup_queued(followup=followup, incident=incident, to=to, actor=actor, request=request)
        followups.append(followup)
    return followups


@transaction.atomic
def breach_acknowledge(
    *, notification: BreachNotification, via: str, actor, request=None
) -> tuple[BreachNotification, bool]:
    """Record the controller's acknowledgement once, after delivery. Returns (notification, changed); a repeat
    changes nothing."""
    notification = (
        BreachNotification.objects.select_for_update(of=("self",))
        .select_related("incident", "organisation")
        .get(pk=notification.pk)
    )
    if notification.delivered_at is None:
        raise ApplicationError(ACK_INVALID)
    if notification.acknowledged_at is not None:
        return notification, False
    label = actor.label if isinstance(actor, Actor) else getattr(actor, "email", "") or "unknown"
    notification.acknowledged_at = timezone.now()
    notification.acknowledged_by = label[:254]
    notification.acknowledged_via = via
    notification.status = BreachNotification.Status.ACKNOWLEDGED
    notification.save(update_fields=["acknowledged_at", "acknowledged_by", "acknowledged_via", "status", "updated_at"])
    events.breach_notification_acknowledged(notification=notification, actor=actor, request=request)
    return notification, True
