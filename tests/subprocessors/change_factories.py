"""Helpers for sub-processor change tests (issue 4)."""

import datetime as dt

from portal.models import Organisation
from subprocessors.models import Subprocessor, SubprocessorChange
from tests.subprocessors.factories import SubprocessorFactory

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
