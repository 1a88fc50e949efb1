"""Objections to announced changes, the consultation thread, outcomes and termination."""

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from portal.core.errors import ApplicationError
from portal.deadlines.calendar import add_business_days, local_date, portal_tz
from portal.deadlines.obligations import obligation_create
from portal.delivery.chat import chat_alert_queue, chat_text, chat_time
from portal.delivery.models import ChatAlert
from portal.delivery.outbox import email_queue
from portal.organisations.models import Membership
from portal.organisations.selectors import legal_recipients
from subprocessors.changes.models import SubprocessorChange
from subprocessors.changes.windows import REMINDER_BUSINESS_DAYS, objection_deadline
from subprocessors.objections import events
from subprocessors.objections.models import Objection, ObjectionMessage

GROUNDS_MIN_LENGTH = 40
OBJECTION_CLOSED = "Objections to this change closed at {deadline:%d %B %Y %H:%M} ({tz})."
OBJECTION_NOT_ANNOUNCED = "Objections can only be made to an announced change."
OBJECTION_DUPLICATE = "Your organisation already has an open objection to this change; add to its thread instead."
OBJECTION_GROUNDS_SHORT = (
    f"Explain the data-protection grounds of the objection in at least {GROUNDS_MIN_LENGTH} characters."
)


OBJECTION_NOT_MEMBER = "You are not a member of that organisation."
OBJECTION_NOT_ENTERPRISE = (
    "{organisation} is on the self-serve plan. Objections are filed under a mutually signed DPA, which comes with "
    "the enterprise plan; contact {support} to upgrade."
)


OBJECTION_BAD_TRANSITION = "An objection that is {current} cannot become {target}."
OBJECTION_THREAD_CLOSED = "This objection is closed; the thread is read-only."
OBJECTION_MESSAGE_EMPTY = "Write a message."
TERMINATION_NOT_UNRESOLVED = "Termination can be confirmed only when the objection ended unresolved."
TERMINATION_ALREADY = "Termination was already confirmed."
TERMINATION_ADMIN_ONLY = "Only an admin of the organisation can confirm termination."
S = Objection.Status


TRANSITIONS: dict[str, set[str]] = {
    S.RECEIVED: {S.IN_CONSULTATION, S.WITHDRAWN, S.ACCOMMODATED, S.UNRESOLVED},
    S.IN_CONSULTATION: {S.WITHDRAWN, S.ACCOMMODATED, S.UNRESOLVED},
}


def _deadline_text(deadline: dt.datetime) -> str:
    return OBJECTION_CLOSED.format(deadline=deadline.astimezone(portal_tz()), tz=settings.PORTAL_TIME_ZONE)


def _customer_recipients(objection: Objection) -> list[str]:
    emails = {objection.organisation.privacy_contact_email}
    if objection.raised_by is not None:
        emails.add(objection.raised_by.email)
    return sorted(e.lower() for e in emails if e)


def _context(objection: Objection) -> dict:
    return {
        "objection": objection,
        "change": objection.change,
        "customer_url": settings.SITE_URL
        + reverse("objections:detail", args=[objection.organisation.public_id, objection.public_id]),
        "staff_url": settings.SITE_URL + reverse("objections:staff_detail", args=[objection.public_id]),
    }


def _notify(objection: Objection, *, key: str, template: str, to: list[str], extra: dict | None = None) -> None:
    context = {**_context(objection), **(extra or {})}
    for address in to:
        email_queue(
            key=f"objection:{objection.pk}:{key}:{address}",
            to=address,
            template=template,
            context=context,
            organisation=objection.organisation,
            ref=objection,
        )


@transaction.atomic
def objection_create(
    *, change: SubprocessorChange, organisation, grounds: str, actor, request=None, now: dt.datetime | None = None
) -> Objection:
    now = now or timezone.now()
    change = (
        SubprocessorChange.objects.select_for_update(of=("self",))
        .select_related("subprocessor", "replaces")
        .get(pk=change.pk)
    )
    if not Membership.objects.filter(user=actor, organisation=organisation).exists():
        raise ApplicationError(OBJECTION_NOT_MEMBER, field="organisation")
    if not organisation.is_enterprise:
        message = OBJECTION_NOT_ENTERPRISE.format(organisation=organisation.name, support=settings.PORTAL_SUPPORT_EMAIL)
        raise ApplicationError(message, field="organisation")
    if change.status != SubprocessorChange.Status.ANNOUNCED:
        raise ApplicationError(OBJECTION_NOT_ANNOUNCED)
    deadline = objection_deadline(change.effective_date)
    if now >= deadline:
        raise ApplicationError(_deadline_text(deadline), extra={"deadline": deadline.isoformat()})
    grounds = grounds.strip()
    if len(grounds) < GROUNDS_MIN_LENGTH:
        raise ApplicationError(OBJECTION_GROUNDS_SHORT, field="grounds")
    open_exists = Objection.objects.filter(
        change=change, organisation=organisation, status__in=(S.RECEIVED, S.IN_CONSULTATION)
    ).exists()
    if open_exists:
        raise ApplicationError(OBJECTION_DUPLICATE)
    objection = Objection(change=change, organisation=organisation, raised_by=actor, grounds=grounds)
    try:
        with transaction.atomic():
            objection.save()
    except IntegrityError:  # a concurrent objection won the race
        raise ApplicationError(OBJECTION_DUPLICATE)
    events.objection_received(objection=objection, deadline=deadline, actor=actor, request=request)
    _notify(objection, key="received-legal", template="objection_received_legal", to=legal_recipients())
    _notify(objection, key="received-customer", template="objection_received", to=_customer_recipients(objection))
    _chat_alert_new(objection, deadline=deadline)
    return objection


def _chat_alert_new(objection: Objection, *, deadline: dt.datetime) -> None:
    change = objection.change
    chat_alert_queue(
        kind=ChatAlert.Kind.OBJECTION,
        text=chat_text(
            title="New objection to a sub-processor change",
            facts=[
                ("Organisation", objection.organisation.name),
                ("Raised by", objection.raised_by.email if objection.raised_by else ""),
                ("Change", change.headline),
                ("Effective", change.effective_date.isoformat()),
                ("Objections close", chat_time(deadline)),
            ],
        ),
        url=_context(objection)["staff_url"],
        dedupe_key=f"objection:{objection.public_id}:new",
        ref=objection,
    )


@transaction.atomic
def objection_message_post(
    *, objection: Objection, body: str, actor, from_staff: bool, request=None
) -> ObjectionMessage:
    objection = (
        Objection.objects.select_for_update(of=("self",))
        .select_related("change", "organisation", "raised_by")
        .get(pk=objection.pk)
    )
    if not objection.is_open:
        raise ApplicationError(OBJECTION_THREAD_CLOSED)
    body = body.strip()
    if not body:
        raise ApplicationError(OBJECTION_MESSAGE_EMPTY, field="body")
    message = ObjectionMessage.objects.create(objection=objection, author=actor, from_staff=from_staff, body=body)
    if from_staff and objection.status == S.RECEIVED:
        objection.status = S.IN_CONSULTATION
        objection.save(update_fields=["status", "updated_at"])
        events.objection_status_changed(objection=objection, before=S.RECEIVED, actor=actor, request=request)
    events.objection_message_posted(message=message, actor=actor, request=request)
    to = _customer_recipients(objection) if from_staff else legal_recipients()
    author = actor.email if actor is not None else ""
    _notify(
        objection,
        key=f"message-{message.pk}",
        template="objection_message",
        to=[a for a in to if a != author.lower()],
        extra={"message": message, "from_staff": from_staff},
    )
    return message


@transaction.atomic
def objection_set_status(
    *, objection: Objection, status: str, note: str = "", actor, by_customer: bool = False, request=None
) -> Objection:
    objection = (
        Objection.objects.select_for_update(of=("self",))
        .select_related("change", "organisation", "raised_by")
        .get(pk=objection.pk)
    )
    current = objection.status
    allowed = TRANSITIONS.get(current, set())
    if by_customer:
        allowed = allowed & {S.WITHDRAWN}
    if status not in allowed:
        raise ApplicationError(
            OBJECTION_BAD_TRANSITION.format(current=S(current).label.lower(), target=S(status).label.lower())
            if status in S.values
            else "Unknown status.",
            field="status",
        )
    objection.status = status
    objection.outcome_note = note.strip()
    if status != S.IN_CONSULTATION:
        objection.closed_at = timezone.now()
    objection.save(update_fields=["status", "outcome_note", "closed_at", "updated_at"])
    events.objection_status_changed(
        objection=objection, before=current, actor=actor, request=request, note=objection.outcome_note
    )
    to = legal_recipients() if by_customer else _customer_recipients(objection)
    _notify(objection, key=f"status-{status}", template="objection_status", to=to)
    return objection


@transaction.atomic
def objection_confirm_termination(*, objection: Objection, actor, request=None) -> Objection:
    """The customer confirms it terminates: starts the post-termination deletion obligation."""
    objection = (
        Objection.objects.select_for_update(of=("self",)).select_related("change", "organisation").get(pk=objection.pk)
    )
    if not Membership.objects.filter(
        user=actor, organisation=objection.organisation, role=Membership.Role.ADMIN
    ).exists():
        raise ApplicationError(TERMINATION_ADMIN_ONLY)
    if objection.status != S.UNRESOLVED:
        raise ApplicationError(TERMINATION_NOT_UNRESOLVED)
    if objection.termination_confirmed_at is not None:
        raise ApplicationError(TERMINATION_ALREADY)
    now = timezone.now()
    objection.termination_confirmed_at = now
    objection.termination_confirmed_by = actor
    objection.save(update_fields=["termination_confirmed_at", "termination_confirmed_by", "updated_at"])
    events.objection_termination_confirmed(objection=objection, actor=actor, request=request)
    _start_deletion_obligation(objection, actor=actor, at=now, request=request)
    _notify(objection, key="termination", template="objection_termination", to=legal_recipients())
    return objection


def _start_deletion_obligation(objection: Objection, *, actor, at: dt.datetime, request=None) -> None:
    obligation_create(
        kind="deletion_after_termination",
        organisation=objection.organisation,
        received_at=at,
        actor=actor,
        source=f"objection {objection.public_id}",
        details=f"Termination confirmed after the unresolved objection to: {objection.change.headline}",
        request=request,
    )


def objection_reminders_send(*, now: dt.datetime | None = None) -> int:
    """Email legal staff 2 business days before the effective date of a change with open objections (once)."""

    now = now or timezone.now()
    today = local_date(now)
    horizon = add_business_days(today, REMINDER_BUSINESS_DAYS)
    due = (
        SubprocessorChange.objects.filter(
            status=SubprocessorChange.Status.ANNOUNCED,
            reminder_sent_at__isnull=True,
            effective_date__gt=today,
            effective_date__lte=horizon,
            objections__status__in=(S.RECEIVED, S.IN_CONSULTATION),
        )
        .distinct()
        .values_list("id", flat=True)
    )
    sent = 0
    for change_id in due:
        with transaction.atomic():
            change = (
                SubprocessorChange.objects.select_for_update(of=("self",))
                .select_related("subprocessor", "replaces")
                .get(pk=change_id)
            )
            if change.reminder_sent_at is not None:
                continue
            open_objections = list(
                change.objections.filter(status__in=(S.RECEIVED, S.IN_CONSULTATION)).select_related("organisation")
            )
            for address in legal_recipients():
                email_queue(
                    # one reminder per effective date: a postponed change is reminded of again before its new date
                    key=f"change:{change.pk}:objection-reminder:{change.effective_date.isoformat()}:{address}",
                    to=address,
                    template="objection_reminder",
                    context={
                        "change": change,
                        "objections": open_objections,
                        "staff_url": settings.SITE_URL + reverse("changes:staff_detail", args=[change.public_id]),
                    },
                    ref=change,
                )
            change.reminder_sent_at = now
            change.save(update_fields=["reminder_sent_at", "updated_at"])
            events.change_objection_reminder_sent(change=change, open_objections=len(open_objections))
            sent += 1
    return sent
