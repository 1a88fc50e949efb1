"""Helpers for sub-processor change tests."""

import datetime as dt
import smtplib
from typing import ClassVar

from django.core.mail.backends import locmem

from portal.organisations.models import Organisation
from subprocessors.changes.models import ChangeRecipient, RecipientOrganisation, SubprocessorChange
from subprocessors.changes.windows import notice_deadline
from subprocessors.listing.models import Subprocessor
from tests.listing.factories import SubprocessorFactory

AMS = dt.timezone(dt.timedelta(hours=1))  # CET; the tests' dates are in winter


def proposed(**kw) -> Subprocessor:
    return SubprocessorFactory(status=Subprocessor.Status.PROPOSED, engaged_since=None, **kw)


def make_change(*, kind="add", status="draft", effective_date=dt.date(2026, 12, 29), announced_at=None, **kw):
    sub = kw.pop("subprocessor", None)
    if sub is None:
        sub = proposed() if kind in ("add", "replace") else SubprocessorFactory()
    replaces = kw.pop("replaces", None)
    if kind == "replace" and replaces is None:
        replaces = SubprocessorFactory()
    if status != "draft" and announced_at is None:
        announced_at = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    if status != "draft":
        # as after a fan-out that ran: recipients recorded (none here), the notice deadline stored
        kw.setdefault("recipients_recorded_at", announced_at)
        kw.setdefault("notice_deadline_at", notice_deadline(effective_date))
    if status == "held":
        kw.setdefault("held_at", dt.datetime.combine(effective_date, dt.time(0, 5), tzinfo=AMS))
    return SubprocessorChange.objects.create(
        kind=kind,
        subprocessor=sub,
        replaces=replaces,
        reason=kw.pop("reason", "Faster inference in the EU"),
        status=status,
        effective_date=effective_date,
        announced_at=announced_at,
        **kw,
    )


def bulk_organisations(n: int, *, prefix="bulk") -> None:
    Organisation.objects.bulk_create(
        [
            Organisation(name=f"{prefix} {i:05d}", privacy_contact_email=f"privacy{i:05d}@{prefix}.example")
            for i in range(n)
        ],
        batch_size=2000,
    )


class RefusingBackend(locmem.EmailBackend):
    """The SMTP server refuses every message to the addresses in `refused` (and accepts the rest, as locmem)."""

    refused: ClassVar[set[str]] = set()

    def send_messages(self, messages):
        for message in messages:
            refused = {a for a in message.to if a.lower() in type(self).refused}
            if refused:
                raise smtplib.SMTPRecipientsRefused({a: (550, b"5.1.1 mailbox unknown") for a in refused})
        return super().send_messages(messages)


def notice_gaps(change: SubprocessorChange, organisations) -> None:
    """Record each organisation's privacy contact as a recipient whose notice was never delivered."""
    for org in organisations:
        recipient = ChangeRecipient.objects.create(
            change=change,
            email=org.privacy_contact_email,
            role=ChangeRecipient.Role.CUSTOMER,
            organisation=org,
            organisation_names=org.name,
        )
        RecipientOrganisation.objects.create(change=change, recipient=recipient, organisation=org)
