"""The notice rule of a change: engagement only after every enterprise customer had a notice *delivered* at least
10 business days before the effective date; otherwise the change is held for legal staff to postpone or withdraw.

- `notice_delivered` (an outbox delivery event) records, per recipient, when the SMTP server first accepted a
  notice of the change: announcement, postponement or alternate-contact notice.
- `change_notice_complete` is the check `change_make_effective` runs on the date; `change_hold` is what happens
  when it fails.
- `change_postpone` moves a held (or announced) change to a new date at least 10 business days away and notifies
  everyone again; `change_notice_alternate` sends the notice to another address of an organisation whose contact
  keeps failing. Both are audited.
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from portal.core.errors import ApplicationError
from portal.delivery.chat import chat_alert_queue, chat_text
from portal.delivery.models import ChatAlert, OutboundEmail
from portal.delivery.outbox import email_enqueue_many, email_queue
from portal.organisations.models import Organisation
from portal.organisations.selectors import legal_recipients
from subprocessors.changes import enqueue, events
from subprocessors.changes.fanout import NOTICE_TEMPLATES, alternate_notice_create
from subprocessors.changes.models import ChangeRecipient, RecipientOrganisation, SubprocessorChange
from subprocessors.changes.selectors import notice_gap_links, notice_gaps_for
from subprocessors.changes.signals import change_event_send
from subprocessors.changes.windows import KINDS_NEEDING_NOTICE, earliest_effective_date, notice_deadline
from subprocessors.listing.cache import invalidate_public_list

CHANGE_NOT_PENDING = "Only an announced or held change can be postponed."
CHANGE_POSTPONE_REASON = "Say why the change is postponed; customers and subscribers receive this text."
CHANGE_POSTPONE_TOO_EARLY = (
    "The new date must be on or after {earliest:%A %d %B %Y}: everyone is notified again and needs at least 10 "
    "business days' notice."
)
CHANGE_POSTPONE_NOT_LATER = "The new date must be after the current effective date ({current:%d %B %Y})."
ALTERNATE_NOT_PENDING = "Another contact can be notified only while the change is announced or held."
ALTERNATE_NOT_RECIPIENT = "{organisation} is not among the organisations this change was announced to."
ALTERNATE_BAD_EMAIL = "Enter a valid email address."
ALTERNATE_EXISTS = "{email} already receives this change's notices."
ALTERNATE_REASON = "Say why the notice goes to this address (e.g. the privacy contact's mailbox does not exist)."


def notice_delivered(email: OutboundEmail) -> None:
    """Delivery event for emails about a change: the first delivery of a notice to an address (idempotent)."""

    if email.template not in NOTICE_TEMPLATES or not email.sent_at or not email.ref_id.isdigit():
        return
    ChangeRecipient.objects.filter(change_id=int(email.ref_id), email=email.to_email).filter(
        Q(notice_delivered_at__isnull=True) | Q(notice_delivered_at__gt=email.sent_at)
    ).update(notice_delivered_at=email.sent_at, updated_at=timezone.now())


def change_notice_deadline_set(change: SubprocessorChange) -> None:
    """Store the notice deadline of the change's current date (the calendar may have been corrected since)."""
    deadline = notice_deadline(change.effective_date)
    if change.notice_deadline_at != deadline:
        change.notice_deadline_at = deadline
        change.save(update_fields=["notice_deadline_at", "updated_at"])


def change_notice_deadlines_fill() -> int:
    """Changes announced before deadlines were stored get theirs (beat; idempotent)."""
    filled = 0
    pending = SubprocessorChange.objects.filter(
        status__in=(SubprocessorChange.Status.ANNOUNCED, SubprocessorChange.Status.HELD),
        notice_deadline_at__isnull=True,
    )
    for change in pending:
        change_notice_deadline_set(change)
        filled += 1
    return filled


def change_notice_complete(change: SubprocessorChange) -> bool:
    """Every enterprise organisation among the change's recipients had a notice delivered to one of its addresses
    before the notice deadline of the current date. Only additions and replacements need it. The caller holds
    the change's lock and has stored its deadline."""

    if change.kind not in KINDS_NEEDING_NOTICE:
        return True
    if change.recipients_recorded_at is None:  # the fan-out never ran: nobody can have been notified
        return False
    return not notice_gap_links().filter(change=change).exists()


def change_hold(*, change: SubprocessorChange, now: dt.datetime) -> None:
    """The date came with the notice incomplete: hold the change, record why, tell legal staff and webhooks.

    The caller holds the change's lock and checked it is announced."""

    assert change.notice_deadline_at is not None  # set before the effective-date check holds a change
    listed, counts = notice_gaps_for(change_ids=[change.pk], per_change=100)
    missing = sorted({link.organisation.name for link in listed.get(change.pk, [])})
    change.status = SubprocessorChange.Status.HELD
    change.held_at = now
    change.save(update_fields=["status", "held_at", "updated_at"])
    events.change_held(change=change, organisations_without_notice=counts.get(change.pk, 0), missing=missing)
    staff_url = settings.SITE_URL + reverse("changes:staff_detail", args=[change.public_id])
    for address in legal_recipients():
        email_queue(
            key=f"change:{change.pk}:held:{change.effective_date.isoformat()}:{address}",
            to=address,
            template="subprocessor_change_held",
            context={"change": change, "missing": missing, "count": counts.get(change.pk, 0), "staff_url": staff_url},
            ref=change,
        )
    chat_alert_queue(
        kind=ChatAlert.Kind.CHANGE_HELD,
        text=chat_text(
            title="Sub-processor change held: notice incomplete",
            facts=[
                ("Change", change.headline),
                ("Effective date", change.effective_date.isoformat()),
                ("Without a delivered notice", _missing_text(missing, counts.get(change.pk, 0))),
                ("Decide", "postpone or withdraw"),
            ],
        ),
        url=staff_url,
        dedupe_key=f"change:{change.pk}:held:{change.effective_date.isoformat()}",
        ref=change,
    )
    change_event_send(change=change, event="subprocessor_change.held")
    transaction.on_commit(invalidate_public_list)


def _missing_text(missing: list[str], count: int) -> str:
    """`3 organisations (Acme, Beta, Gamma)`, naming at most five."""
    names = ", ".join(missing[:5]) + (", …" if len(missing) > 5 else "")
    return f"{count} organisation{'' if count == 1 else 's'}" + (f" ({names})" if names else "")


@transaction.atomic
def change_postpone(
    *,
    change: SubprocessorChange,
    effective_date: dt.date,
    reason: str,
    actor,
    request=None,
    now: dt.datetime | None = None,
) -> SubprocessorChange:
    """Move an announced or held change to a later date, at least 10 business days away for an addition or a
    replacement, and notify everyone again (new customers since the announcement included). The objection
    window runs to the new date."""

    now = now or timezone.now()
    change = (
        SubprocessorChange.objects.select_for_update(of=("self",))
        .select_related("subprocessor", "replaces")
        .get(pk=change.pk)
    )
    if change.status not in (SubprocessorChange.Status.ANNOUNCED, SubprocessorChange.Status.HELD):
        raise ApplicationError(CHANGE_NOT_PENDING)
    if not reason.strip():
        raise ApplicationError(CHANGE_POSTPONE_REASON, field="reason")
    earliest = earliest_effective_date(change.kind, now)
    if effective_date < earliest:
        raise ApplicationError(
            CHANGE_POSTPONE_TOO_EARLY.format(earliest=earliest),
            field="effective_date",
            extra={"earliest_effective_date": earliest.isoformat()},
        )
    if effective_date <= change.effective_date:
        raise ApplicationError(CHANGE_POSTPONE_NOT_LATER.format(current=change.effective_date), field="effective_date")
    before = events.change_postpone_snapshot(change)
    was_held = change.status == SubprocessorChange.Status.HELD
    change.previous_effective_date = change.effective_date
    change.effective_date = effective_date
    change.notice_deadline_at = notice_deadline(effective_date)
    change.status = SubprocessorChange.Status.ANNOUNCED
    change.held_at = None
    change.postponements += 1
    change.postponed_at = now
    change.postponement_reason = reason.strip()
    change.postpone_fanout_done_at = None
    change.recipients_recorded_at = None  # record who must be told now, new customers included
    change.reminder_sent_at = None  # the objection reminder is due again before the new date
    change.full_clean()
    change.save()
    events.change_postponed(change=change, before=before, was_held=was_held, actor=actor, request=request)
    change_event_send(change=change, event="subprocessor_change.postponed")
    transaction.on_commit(invalidate_public_list)
    enqueue.change_fanout(change.pk, "postpone")
    return change


@transaction.atomic
def change_notice_alternate(
    *, change: SubprocessorChange, organisation: Organisation, email: str, reason: str, actor, request=None
) -> ChangeRecipient:
    """Send the notice, as it stands now, to another address of an organisation whose contact keeps failing.
    The address then counts for that organisation like its privacy contact."""

    change = (
        SubprocessorChange.objects.select_for_update(of=("self",))
        .select_related("subprocessor", "replaces")
        .get(pk=change.pk)
    )
    if change.status not in (SubprocessorChange.Status.ANNOUNCED, SubprocessorChange.Status.HELD):
        raise ApplicationError(ALTERNATE_NOT_PENDING)
    if not RecipientOrganisation.objects.filter(change=change, organisation=organisation).exists():
        raise ApplicationError(ALTERNATE_NOT_RECIPIENT.format(organisation=organisation.name), field="organisation")
    address = email.strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        raise ApplicationError(ALTERNATE_BAD_EMAIL, field="email") from None
    if not reason.strip():
        raise ApplicationError(ALTERNATE_REASON, field="reason")
    if ChangeRecipient.objects.filter(change=change, email=address).exists():
        raise ApplicationError(ALTERNATE_EXISTS.format(email=address), field="email")
    failing = list(
        RecipientOrganisation.objects.filter(change=change, organisation=organisation)
        .order_by("recipient__email")
        .values_list("recipient__email", flat=True)
    )
    recipient = ChangeRecipient(
        change=change,
        email=address,
        role=ChangeRecipient.Role.ALTERNATE,
        organisation=organisation,
        organisation_names=organisation.name,
        added_by=actor,
        postpone_round=change.postponements,  # this notice already states the current date
    )
    recipient.full_clean(exclude=["change", "organisation", "added_by", "subscriber"])
    recipient.save()
    RecipientOrganisation.objects.create(change=change, recipient=recipient, organisation=organisation)
    notice = alternate_notice_create(change=change, recipient=recipient)
    recipient.announce_email = notice
    recipient.save(update_fields=["announce_email", "updated_at"])
    events.change_alternate_contact_added(
        change=change,
        organisation=organisation,
        recipient=recipient,
        instead_of=failing,
        reason=reason,
        actor=actor,
        request=request,
    )
    email_enqueue_many([notice.pk])
    return recipient
