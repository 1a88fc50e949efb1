"""The obligation deadline engine: due times by rule, staff record and complete, reminders before the due time.

Rules (from the DPA):
- third-party disclosure order: notify the controller within 5 business days of receipt;
- data-subject request received directly: forward to the controller within 5 business days;
- deletion after termination: delete and confirm in writing within 30 calendar days;
- breach notification: 48 hours after becoming aware, to the minute.
Day-based rules end at the end of the local day (PORTAL_TIME_ZONE); the 48-hour rule is exact in UTC.
"""

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from portal.core.errors import ApplicationError
from portal.core.permissions import LEGAL_GROUP
from portal.deadlines import events
from portal.deadlines.calendar import add_business_days, end_of_local_day, local_date
from portal.deadlines.models import Obligation, ObligationReminder
from portal.delivery.chat import chat_alert_queue, chat_text, chat_time
from portal.delivery.models import ChatAlert
from portal.delivery.outbox import email_queue

BREACH_NOTICE_WINDOW = dt.timedelta(hours=48)
BUSINESS_DAY_RULES: dict[str, int] = {
    Obligation.Kind.DISCLOSURE_ORDER: 5,
    Obligation.Kind.DATA_SUBJECT_REQUEST: 5,
}
CALENDAR_DAY_RULES: dict[str, int] = {Obligation.Kind.DELETION_AFTER_TERMINATION: 30}

# Reminder stages: how long before the due time each goes out. OVERDUE goes to the legal lead at the due time.
REMINDER_STAGES = (
    (ObligationReminder.Stage.H24, dt.timedelta(hours=24)),
    (ObligationReminder.Stage.H12, dt.timedelta(hours=12)),
    (ObligationReminder.Stage.H4, dt.timedelta(hours=4)),
    (ObligationReminder.Stage.H1, dt.timedelta(hours=1)),
    (ObligationReminder.Stage.OVERDUE, dt.timedelta(0)),
)

DEFAULT_TITLES: dict[str, str] = {
    Obligation.Kind.DISCLOSURE_ORDER: "Notify the controller of a third-party disclosure order",
    Obligation.Kind.DATA_SUBJECT_REQUEST: "Forward a data-subject request to the controller",
    Obligation.Kind.DELETION_AFTER_TERMINATION: "Delete customer data and confirm in writing",
    Obligation.Kind.BREACH_NOTIFICATION: "Notify the controller of a personal-data breach",
}

RECEIVED_IN_FUTURE = "The receipt time cannot be in the future."
RECEIVED_TOO_EARLY = "Enter a receipt time from 1 January 2000 on."
# Nothing this portal records happened before; older values are typing mistakes (2062 → 0262).
EARLIEST_RECEIPT = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
ALREADY_COMPLETED = "This obligation is already completed."
EVIDENCE_REQUIRED = "Describe the evidence: what was done, when and how it was confirmed."
BREACH_KIND_BY_STAFF = "Breach notifications are created from a breach incident, not by hand."
BREACH_COMPLETES_WHEN_DELIVERED = (
    "A breach notification completes when its email is delivered: send it from its incident."
)
UNKNOWN_KIND = "Choose the kind of obligation."


def obligation_due_at(*, kind: str, received_at: dt.datetime) -> dt.datetime:
    """The due time of an obligation of `kind` triggered at `received_at` (aware)."""
    if timezone.is_naive(received_at):
        raise ValueError("received_at must be timezone-aware")
    if kind == Obligation.Kind.BREACH_NOTIFICATION:
        return received_at.astimezone(dt.UTC) + BREACH_NOTICE_WINDOW
    if kind in BUSINESS_DAY_RULES:
        return end_of_local_day(add_business_days(local_date(received_at), BUSINESS_DAY_RULES[kind]))
    if kind in CALENDAR_DAY_RULES:
        return end_of_local_day(local_date(received_at) + dt.timedelta(days=CALENDAR_DAY_RULES[kind]))
    raise ApplicationError(UNKNOWN_KIND, field="kind")


@transaction.atomic
def obligation_create(
    *,
    kind: str,
    organisation,
    received_at: dt.datetime,
    actor,
    source: str = "",
    title: str = "",
    details: str = "",
    request=None,
) -> Obligation:
    """Record an obligation and compute its due time. With a `source`, calling again returns the first one."""
    if kind not in Obligation.Kind.values:
        raise ApplicationError(UNKNOWN_KIND, field="kind")
    if source:
        existing = Obligation.objects.filter(kind=kind, organisation=organisation, source=source).first()
        if existing is not None:
            return existing
    if received_at > timezone.now() + dt.timedelta(minutes=1):
        raise ApplicationError(RECEIVED_IN_FUTURE, field="received_at")
    if received_at < EARLIEST_RECEIPT:
        raise ApplicationError(RECEIVED_TOO_EARLY, field="received_at")
    obligation = Obligation(
        kind=kind,
        organisation=organisation,
        title=(title or DEFAULT_TITLES[kind]).strip()[:200],
        details=details,
        source=source,
        received_at=received_at,
        due_at=obligation_due_at(kind=kind, received_at=received_at),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    obligation.full_clean()
    obligation.save()
    events.obligation_created(obligation=obligation, actor=actor, request=request)
    return obligation


@transaction.atomic
def obligation_reschedule(*, obligation: Obligation, received_at: dt.datetime, actor, request=None) -> Obligation:
    """Move the trigger time (e.g. the awareness time of a breach was corrected) and recompute the due time."""
    obligation = Obligation.objects.select_for_update().get(pk=obligation.pk)
    before = {"received_at": obligation.received_at, "due_at": obligation.due_at}
    obligation.received_at = received_at
    obligation.due_at = obligation_due_at(kind=obligation.kind, received_at=received_at)
    obligation.save(update_fields=["received_at", "due_at", "updated_at"])
    events.obligation_rescheduled(obligation=obligation, before=before, actor=actor, request=request)
    return obligation


@transaction.atomic
def obligation_complete(
    *, obligation: Obligation, evidence: str, actor, evidence_file=None, completed_at=None, request=None
) -> Obligation:
    obligation = Obligation.objects.select_for_update().get(pk=obligation.pk)
    if obligation.status == Obligation.Status.COMPLETED:
        raise ApplicationError(ALREADY_COMPLETED)
    if not evidence.strip():
        raise ApplicationError(EVIDENCE_REQUIRED, field="evidence")
    obligation.status = Obligation.Status.COMPLETED
    obligation.completed_at = completed_at or timezone.now()
    obligation.completed_by = actor if getattr(actor, "is_authenticated", False) else None
    obligation.evidence = evidence.strip()
    if evidence_file is not None:
        obligation.evidence_file = evidence_file
    obligation.full_clean()
    obligation.save()
    events.obligation_completed(obligation=obligation, actor=actor, request=request)
    return obligation


def obligation_complete_by_staff(
    *, obligation: Obligation, evidence: str, actor, evidence_file=None, request=None
) -> Obligation:
    """Legal staff complete an obligation by hand (the console's form, the staff API). A breach notification is
    not theirs to complete: its delivery completes it (dpa.breaches.delivery)."""
    if obligation.kind == Obligation.Kind.BREACH_NOTIFICATION:
        raise ApplicationError(BREACH_COMPLETES_WHEN_DELIVERED)
    return obligation_complete(
        obligation=obligation, evidence=evidence, evidence_file=evidence_file, actor=actor, request=request
    )


def _legal_staff_emails() -> list[str]:
    User = get_user_model()
    return sorted(
        set(
            User.objects.filter(is_active=True, groups__name=LEGAL_GROUP)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


def obligation_stages_due(obligation: Obligation, *, now: dt.datetime) -> list[str]:
    return [stage for stage, before in REMINDER_STAGES if now >= obligation.due_at - before]


def obligation_remind(*, obligation_id: int, now: dt.datetime | None = None) -> list[str]:
    """Send every reminder stage that is due and not yet sent for one open obligation; return the stages sent.

    Each stage is a unique ObligationReminder row written in the same transaction as its outbox emails, so a
    stage goes out once however often the beat task runs, retries or runs twice at the same time.
    """
    now = now or timezone.now()
    sent: list[str] = []
    with transaction.atomic():
        obligation = (
            Obligation.objects.select_for_update(skip_locked=True)
            .select_related("organisation")
            .filter(pk=obligation_id, status=Obligation.Status.OPEN)
            .first()
        )
        if obligation is None:
            return sent
        done = set(obligation.reminders.values_list("stage", flat=True))
        notification = None
        if obligation.kind == Obligation.Kind.BREACH_NOTIFICATION:
            # The breach register links its notification to this obligation (reverse one-to-one, none if unlinked).
            notification = getattr(obligation, "breach_notification", None)
        staff = None
        for stage in obligation_stages_due(obligation, now=now):
            if stage in done:
                continue
            if stage == ObligationReminder.Stage.OVERDUE:
                recipients = [settings.PORTAL_LEGAL_LEAD_EMAIL]
            else:
                if staff is None:
                    staff = _legal_staff_emails() or [settings.PORTAL_LEGAL_LEAD_EMAIL]
                recipients = staff
            try:
                with transaction.atomic():
                    ObligationReminder.objects.create(obligation=obligation, stage=stage, recipients=recipients)
            except IntegrityError:
                continue
            context = {"obligation": obligation, "stage": stage, "now": now, "overdue": stage == "overdue"}
            if notification is not None:
                context["incident"] = notification.incident
                context["notification"] = notification
            for email in recipients:
                email_queue(
                    key=f"obligation-reminder:{obligation.pk}:{stage}:{email}",
                    to=email,
                    template="obligation_reminder",
                    context=context,
                    organisation=obligation.organisation,
                    ref=obligation,
                )
            events.obligation_reminded(
                obligation=obligation,
                stage=stage,
                recipients=recipients,
                incident_id=notification.incident_id if notification is not None else None,
            )
            sent.append(stage)
        if notification is not None:
            _breach_chat_alert(obligation, notification=notification, stages=sent, now=now)
    return sent


# The breach deadline alerts posted to the staff chat, by reminder stage (the overdue stage is not one of them).
CHAT_STAGE_HOURS = {
    ObligationReminder.Stage.H24: 24,
    ObligationReminder.Stage.H12: 12,
    ObligationReminder.Stage.H4: 4,
    ObligationReminder.Stage.H1: 1,
}


def _breach_chat_alert(obligation: Obligation, *, notification, stages: list[str], now: dt.datetime) -> None:
    """The staff chat hears of the most urgent stage just reached by a breach notification's obligation, once per
    incident and stage (every affected organisation's obligation reaches it at the same minute). An open obligation
    is a notification not yet delivered; a tick that catches up several stages posts only the latest."""
    reached = [stage for stage in stages if stage in CHAT_STAGE_HOURS]
    if not reached:
        return
    stage = reached[-1]
    incident = notification.incident
    undelivered = Obligation.objects.filter(
        kind=Obligation.Kind.BREACH_NOTIFICATION,
        status=Obligation.Status.OPEN,
        breach_notification__incident_id=incident.pk,
    ).count()
    left = max(obligation.due_at - now, dt.timedelta(0))
    hours, minutes = divmod(int(left.total_seconds()) // 60, 60)
    chat_alert_queue(
        kind=ChatAlert.Kind.BREACH_DEADLINE,
        text=chat_text(
            title=f"Breach notification deadline in {CHAT_STAGE_HOURS[stage]} hour"  # type: ignore[index]
            + ("" if CHAT_STAGE_HOURS[stage] == 1 else "s"),  # type: ignore[index]
            facts=[
                ("Incident", incident.title),
                ("Deadline", chat_time(obligation.due_at)),
                ("Time left", f"{hours} h {minutes:02d} min"),
                ("Notifications not yet delivered", undelivered),
            ],
        ),
        url=settings.SITE_URL + reverse("breaches:staff_detail", args=[incident.public_id]),
        dedupe_key=f"breach:{incident.pk}:deadline:{stage}",
        ref=incident,
    )
