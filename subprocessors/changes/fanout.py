"""Fan-out of a change's notices: one outbox email per recipient, resumable and never twice.

Notices: `announce` (the announcement), `postpone` (each postponement, to everyone, with the full contents again)
and `withdraw` (to everyone who received an announcement or postponement).

Step 1 (once per announcement and again per postponement, one transaction): record every recipient as a
ChangeRecipient row — each organisation's privacy-notice contact (its admins when it has none) and every confirmed
subscriber, one row per address, linked to the organisations it stands for — and, for the announcement, one
webhook delivery per active webhook.
Step 2 (batches of CHANGE_FANOUT_BATCH, one transaction each, holding the change's row lock): render the emails
for recipients without one, bulk-insert them and link each recipient to its email. A crash loses at most the
open batch, which rolls back; a second run, concurrent or later, finds only what is still missing.
"""

import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Field, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from portal.core.bulk import bulk_insert
from portal.delivery.models import OutboundEmail
from portal.delivery.outbox import EmailDraft, email_queue_many, render_email
from portal.organisations.models import Membership, Organisation
from subprocessors.changes.models import ChangeRecipient, RecipientOrganisation, SubprocessorChange
from subprocessors.changes.signals import change_event_send
from subprocessors.listing.models import Subscriber
from subprocessors.listing.subscriptions import subscriber_unsubscribe_url

NOTICES = ("announce", "postpone", "withdraw")
# OutboundEmail.template of the emails that tell a recipient about the change (the 10-business-day rule counts
# these); "alternate" is the announcement sent by legal staff to another address of an organisation.
NOTICE_TEMPLATES = (
    "subprocessor_change_announce",
    "subprocessor_change_postpone",
    "subprocessor_change_alternate",
)
EMAIL_TEMPLATES = {
    "announce": "subprocessor_change_announced",
    "postpone": "subprocessor_change_postponed",
    "withdraw": "subprocessor_change_withdrawn",
}
_UNSUBSCRIBE = "@@UNSUBSCRIBE_URL@@"
_ORGANISATIONS = "@@ORGANISATIONS@@"


def public_page_url() -> str:
    try:
        return settings.SITE_URL + reverse("listing:list")
    except NoReverseMatch:  # the public page's URL name, should it differ
        return settings.SITE_URL + "/subprocessors/"


def _email_field(notice: str) -> str:
    return f"{notice}_email"


def change_recipients_collect() -> list[dict]:
    """Everyone a change notice goes to, one entry per address (lower-cased)."""
    found: dict[str, dict] = {}
    orgs = Organisation.objects.order_by("name").values_list("id", "name", "privacy_contact_email")
    without_contact = []
    for org_id, name, contact in orgs.iterator(chunk_size=5000):
        if contact:
            _add_customer(found, contact, org_id, name)
        else:
            without_contact.append(org_id)
    if without_contact:
        admins = (
            Membership.objects.filter(organisation_id__in=without_contact, role=Membership.Role.ADMIN)
            .order_by("organisation__name", "user__email")
            .values_list("user__email", "organisation_id", "organisation__name")
        )
        for email, org_id, name in admins.iterator(chunk_size=5000):
            _add_customer(found, email, org_id, name)
    subscribers = Subscriber.objects.filter(status=Subscriber.Status.CONFIRMED).values_list("id", "email")
    for sub_id, email in subscribers.iterator(chunk_size=5000):
        key = email.strip().lower()
        entry = found.get(key)
        if entry is None:
            found[key] = {"email": key, "role": ChangeRecipient.Role.SUBSCRIBER, "subscriber_id": sub_id, "orgs": []}
        else:
            entry["role"] = ChangeRecipient.Role.BOTH
            entry["subscriber_id"] = sub_id
    return list(found.values())


def _add_customer(found: dict, email: str, org_id: int, name: str) -> None:
    key = email.strip().lower()
    entry = found.setdefault(
        key, {"email": key, "role": ChangeRecipient.Role.CUSTOMER, "subscriber_id": None, "orgs": []}
    )
    entry["orgs"].append((org_id, name))


def change_recipients_record(*, change: SubprocessorChange) -> int:
    """Step 1: record the recipients and the organisations each stands for (caller holds the change's lock).

    Idempotent. A postponement clears `recipients_recorded_at`, so this runs again: addresses that are new since
    get a row, rows whose address now serves more get their role and organisations updated, nobody is removed.
    Returns the number of new rows."""

    if change.recipients_recorded_at is not None:
        return 0
    entries = change_recipients_collect()
    existing = {
        r.email: r
        for r in ChangeRecipient.objects.filter(change=change).only(
            "id", "email", "role", "organisation_id", "organisation_names", "subscriber_id"
        )
    }
    rows, updated = [], []
    for entry in entries:
        names = ", ".join(name for _, name in entry["orgs"])
        org_id = entry["orgs"][0][0] if entry["orgs"] else None
        row = existing.get(entry["email"])
        if row is None:
            rows.append(
                ChangeRecipient(
                    change=change,
                    email=entry["email"],
                    role=entry["role"],
                    organisation_id=org_id,
                    organisation_names=names,
                    subscriber_id=entry["subscriber_id"],
                )
            )
            continue
        if row.role == ChangeRecipient.Role.ALTERNATE:
            continue  # chosen by legal staff for one organisation; it keeps that label (and gains the links below)
        role = _merged_role(row.role, entry["role"])
        if (role, names or row.organisation_names) != (row.role, row.organisation_names):
            row.role = role
            if names:
                row.organisation_id, row.organisation_names = org_id, names
            row.subscriber_id = entry["subscriber_id"] or row.subscriber_id
            updated.append(row)
    bulk_insert(rows, ignore_conflicts=True)
    if updated:
        ChangeRecipient.objects.bulk_update(
            updated, ["role", "organisation_id", "organisation_names", "subscriber_id"], batch_size=500
        )
    ids = dict(ChangeRecipient.objects.filter(change=change).values_list("email", "id"))
    links = [
        RecipientOrganisation(change=change, recipient_id=ids[entry["email"]], organisation_id=org_id)
        for entry in entries
        for org_id, _ in entry["orgs"]
    ]
    bulk_insert(links, ignore_conflicts=True)
    change.recipients_recorded_at = timezone.now()
    change.save(update_fields=["recipients_recorded_at", "updated_at"])
    if change.postponements == 0:
        change_event_send(change=change, event="subprocessor_change.announced")
    return len(rows)


def _merged_role(recorded: str, now: str) -> str:
    roles = {recorded, now}
    if roles == {ChangeRecipient.Role.CUSTOMER} or roles == {ChangeRecipient.Role.SUBSCRIBER}:
        return recorded
    return ChangeRecipient.Role.BOTH


def notice_context(change: SubprocessorChange) -> dict:
    """What every notice email and the notice contents on the pages are rendered from."""
    return {
        "change": change,
        "processor_name": settings.PORTAL_PROCESSOR_NAME,
        "public_url": public_page_url() + "#upcoming-changes",
        "object_url": settings.SITE_URL + reverse("objections:new", args=[change.public_id]),
        "objections_api_url": settings.SITE_URL + reverse("objections:api_create", args=[change.public_id]),
    }


def _templates(change: SubprocessorChange, notice: str) -> dict[str, tuple[str, str, str]]:
    """Render once per role, with placeholders for the per-recipient parts (fast for 20,000 recipients)."""
    base = {**notice_context(change), "unsubscribe_url": _UNSUBSCRIBE, "organisations": _ORGANISATIONS}
    rendered = {}
    for role in ChangeRecipient.Role.values:
        rendered[role] = render_email(
            EMAIL_TEMPLATES[notice],
            {
                **base,
                "is_customer": role != ChangeRecipient.Role.SUBSCRIBER,
                "is_subscriber": role in (ChangeRecipient.Role.SUBSCRIBER, ChangeRecipient.Role.BOTH),
                "is_alternate": role == ChangeRecipient.Role.ALTERNATE,
            },
        )
    return rendered


_NOT_WITHDRAWN = (
    SubprocessorChange.Status.ANNOUNCED,
    SubprocessorChange.Status.HELD,
    SubprocessorChange.Status.EFFECTIVE,
)


def _notice_allowed(change: SubprocessorChange, notice: str) -> bool:
    if notice == "announce":
        return change.status in _NOT_WITHDRAWN
    if notice == "postpone":
        return change.status in _NOT_WITHDRAWN and change.postponements > 0
    return change.status == SubprocessorChange.Status.WITHDRAWN


def _pending(change: SubprocessorChange, notice: str):
    if notice == "postpone":
        return change.recipients.filter(postpone_round__lt=change.postponements)
    qs = change.recipients.filter(**{f"{_email_field(notice)}__isnull": True})
    if notice == "withdraw":
        # Withdrawal notices go to exactly those who received an announcement or a postponement.
        qs = qs.filter(Q(announce_email__isnull=False) | Q(postpone_email__isnull=False))
    return qs


def change_fanout_batch(*, change_id: int, notice: str, batch_size: int | None = None) -> int:
    """Create the outbox rows of one batch. Returns how many were created; 0 when the notice is complete."""
    if notice not in NOTICES:
        raise ValueError(notice)
    batch_size = batch_size or settings.CHANGE_FANOUT_BATCH
    with transaction.atomic():
        change = (
            SubprocessorChange.objects.select_for_update(of=("self",))
            .select_related("subprocessor", "replaces")
            .filter(pk=change_id)
            .first()
        )
        done_field = f"{notice}_fanout_done_at"
        if change is None or getattr(change, done_field) is not None or not _notice_allowed(change, notice):
            return 0
        if notice in ("announce", "postpone"):
            change_recipients_record(change=change)
        recipients = list(_pending(change, notice).select_related("subscriber").order_by("id")[:batch_size])
        if not recipients:
            setattr(change, done_field, timezone.now())
            change.save(update_fields=[done_field, "updated_at"])
            return 0
        templates = _templates(change, notice)
        emails = email_queue_many(drafts=[_email_for(change, notice, r, templates[r.role]) for r in recipients])
        extra = {"postpone_round": change.postponements} if notice == "postpone" else {}
        _link(recipients, emails, _email_field(notice), extra)
        return len(emails)


def _link(recipients: list[ChangeRecipient], emails: list[OutboundEmail], field: str, extra: dict) -> None:
    """Point each recipient at its new email (and set `extra` constants): one UPDATE … FROM (VALUES …) on
    PostgreSQL (bulk_update's CASE expression costs more than the inserts)."""
    for recipient, email in zip(recipients, emails, strict=True):
        setattr(recipient, field, email)
        for name, value in extra.items():
            setattr(recipient, name, value)
    if connection.vendor != "postgresql":
        ChangeRecipient.objects.bulk_update(recipients, [field, *extra], batch_size=500)
        return
    table = ChangeRecipient._meta.db_table
    column = _column(field)
    constants = "".join(f', "{_column(name)}" = %s' for name in extra)
    values = ", ".join(["(%s::bigint, %s::bigint)"] * len(recipients))
    params = [*extra.values(), *(p for r, e in zip(recipients, emails, strict=True) for p in (r.pk, e.pk))]
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{table}" AS r SET "{column}" = v.email_id{constants} FROM (VALUES {values}) AS v(id, email_id) '  # noqa: S608 - names from the model, values bound  # nosec
            "WHERE r.id = v.id",
            params,
        )


def _column(name: str) -> str:
    field = ChangeRecipient._meta.get_field(name)
    assert isinstance(field, Field)  # a column of the row, not a reverse relation
    assert field.column
    return field.column


def _email_key(change: SubprocessorChange, notice: str, email: str) -> str:
    if notice == "postpone":
        return f"subprocessor-change:{change.pk}:postpone-{change.postponements}:{email}"
    return f"subprocessor-change:{change.pk}:{notice}:{email}"


def _email_for(change, notice: str, recipient: ChangeRecipient, rendered: tuple[str, str, str]) -> EmailDraft:
    subject, text, html = rendered
    headers = {}
    unsubscribe = ""
    if recipient.subscriber is not None:
        unsubscribe = subscriber_unsubscribe_url(recipient.subscriber)
        headers = {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    orgs = recipient.organisation_names or ""
    text = text.replace(_UNSUBSCRIBE, unsubscribe).replace(_ORGANISATIONS, orgs)
    html = html.replace(_UNSUBSCRIBE, unsubscribe).replace(_ORGANISATIONS, orgs)
    return EmailDraft(
        key=_email_key(change, notice, recipient.email),
        to=recipient.email,
        subject=subject,
        text=text,
        html=html,
        headers=headers,
        template=f"subprocessor_change_{notice}",
        organisation_id=recipient.organisation_id,
        ref_type=SubprocessorChange._meta.label,
        ref_id=str(change.pk),
    )


def alternate_notice_create(*, change: SubprocessorChange, recipient: ChangeRecipient) -> OutboundEmail:
    """The notice as it stands now, for an address legal staff chose for an organisation (caller holds the lock
    and enqueues the email)."""
    rendered = render_email(
        EMAIL_TEMPLATES["announce"],
        {
            **notice_context(change),
            "unsubscribe_url": "",
            "organisations": recipient.organisation_names,
            "is_customer": True,
            "is_subscriber": False,
            "is_alternate": True,
        },
    )
    email = _email_for(change, "alternate", recipient, rendered).row()
    email.save()
    return email


def change_fanout(*, change_id: int, notice: str, batch_size: int | None = None, max_batches: int | None = None) -> int:
    """Run batches until the notice is complete (or `max_batches` ran). Returns emails created."""
    created, batches = 0, 0
    while max_batches is None or batches < max_batches:
        n = change_fanout_batch(change_id=change_id, notice=notice, batch_size=batch_size)
        batches += 1
        if n == 0:
            break
        created += n
    return created


def changes_with_unfinished_fanout(*, older_than: dt.timedelta = dt.timedelta(minutes=2)) -> list[tuple[int, str]]:
    """Fan-outs a lost task left half-way (for the sweep)."""
    cutoff = timezone.now() - older_than
    announce = SubprocessorChange.objects.filter(
        status__in=_NOT_WITHDRAWN, announce_fanout_done_at__isnull=True, announced_at__lt=cutoff
    ).values_list("id", flat=True)
    postpone = SubprocessorChange.objects.filter(
        status__in=_NOT_WITHDRAWN, postpone_fanout_done_at__isnull=True, postponed_at__lt=cutoff
    ).values_list("id", flat=True)
    withdraw = SubprocessorChange.objects.filter(
        Q(status=SubprocessorChange.Status.WITHDRAWN), withdraw_fanout_done_at__isnull=True, withdrawn_at__lt=cutoff
    ).values_list("id", flat=True)
    return (
        [(pk, "announce") for pk in announce]
        + [(pk, "postpone") for pk in postpone]
        + [(pk, "withdraw") for pk in withdraw]
    )
