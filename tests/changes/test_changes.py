import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.core.errors import ApplicationError
from portal.delivery.models import OutboundEmail
from subprocessors.changes.fanout import change_fanout
from subprocessors.changes.models import ChangeRecipient, SubprocessorChange
from subprocessors.changes.services import change_announce, change_create, change_make_effective, change_withdraw
from subprocessors.changes.tasks import changes_make_effective
from subprocessors.listing.models import Subprocessor, SubprocessorRevision
from tests.changes.factories import make_change, proposed
from tests.listing.factories import SubprocessorFactory, SubscriberFactory

pytestmark = pytest.mark.django_db
MONDAY_14_DEC = dt.datetime(2026, 12, 14, 9, 0, tzinfo=dt.UTC)


def test_announcing_too_early_is_refused_naming_the_earliest_date(legal):
    change = make_change(effective_date=dt.date(2026, 12, 28))
    audit_before = AuditEvent.objects.count()
    with pytest.raises(ApplicationError) as exc:
        change_announce(change=change, effective_date=dt.date(2026, 12, 28), actor=legal, now=MONDAY_14_DEC)
    assert "Tuesday 29 December 2026" in exc.value.message
    assert exc.value.field == "effective_date"
    change.refresh_from_db()
    assert change.status == "draft"
    assert change.announced_at is None
    assert AuditEvent.objects.count() == audit_before
    assert not OutboundEmail.objects.exists()


def test_removal_may_be_immediate(legal, run_on_commit):
    change = make_change(kind="remove", effective_date=dt.date(2026, 12, 14))
    run_on_commit(change_announce, change=change, effective_date=None, actor=legal, now=MONDAY_14_DEC)
    change.refresh_from_db()
    assert change.status == "announced"


def test_announce_commits_audits_and_notifies_each_recipient_once(legal, org, other_org, run_on_commit, mailoutbox):
    # given a privacy contact who is also a confirmed subscriber, and a subscriber-only reader
    SubscriberFactory(email=org.privacy_contact_email.upper(), status="confirmed")
    reader = SubscriberFactory(email="reader@news.example", status="confirmed")
    SubscriberFactory(email="pending@news.example", status="pending")
    change = make_change(effective_date=dt.date(2026, 12, 29))
    # when it is announced
    run_on_commit(change_announce, change=change, effective_date=None, actor=legal, now=MONDAY_14_DEC)
    # then
    change.refresh_from_db()
    assert change.status == "announced"
    assert change.announced_at == MONDAY_14_DEC
    assert change.announce_fanout_done_at is not None
    event = AuditEvent.objects.get(action="subprocessor_change.announced")
    assert event.details["objection_deadline"] == "2026-12-29T00:00:00+01:00"
    rows = OutboundEmail.objects.filter(ref_id=str(change.pk)).order_by("to_email")
    assert sorted(r.to_email for r in rows) == sorted(
        [org.privacy_contact_email, other_org.privacy_contact_email, reader.email]
    )
    assert {m.to[0] for m in mailoutbox} == {r.to_email for r in rows}
    assert len(mailoutbox) == 3
    both = rows.get(to_email=org.privacy_contact_email)
    assert ChangeRecipient.objects.get(change=change, email=both.to_email).role == "both"
    assert change.headline in both.subject
    assert "Faster inference in the EU" in both.body_text
    assert "Tuesday 29 December 2026" in both.body_text
    assert "28 December 2026 23:59" not in both.body_text  # the deadline is the start of the day, not 23:59
    assert "29 December 2026 00:00 CET" in both.body_text
    assert reverse("objections:new", args=[change.public_id]) in both.body_text
    assert "/subprocessors/unsubscribe/" in both.body_text
    assert "List-Unsubscribe" in both.headers
    assert both.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"  # RFC 8058 one-click
    reader_email = rows.get(to_email=reader.email)
    assert reverse("objections:new", args=[change.public_id]) not in reader_email.body_text
    assert "/subprocessors/unsubscribe/" in reader_email.body_text
    only_customer = rows.get(to_email=other_org.privacy_contact_email)
    assert "unsubscribe" not in only_customer.body_text.lower()
    assert not only_customer.headers


def test_organisation_without_privacy_contact_is_notified_through_its_admins(legal, org, org_admin, run_on_commit):
    org.privacy_contact_email = ""
    org.save()
    change = make_change(effective_date=dt.date(2026, 12, 29))
    run_on_commit(change_announce, change=change, effective_date=None, actor=legal, now=MONDAY_14_DEC)
    assert OutboundEmail.objects.filter(ref_id=str(change.pk), to_email=org_admin.email).count() == 1


def test_withdrawal_notifies_the_same_recipients(legal, org, other_org, run_on_commit):
    change = make_change(effective_date=dt.date(2026, 12, 29))
    run_on_commit(change_announce, change=change, effective_date=None, actor=legal, now=MONDAY_14_DEC)
    SubscriberFactory(email="late@news.example", status="confirmed")  # subscribed after the announcement
    with pytest.raises(ApplicationError):
        change_withdraw(change=change, reason="  ", actor=legal)
    run_on_commit(change_withdraw, change=change, reason="The provider missed our audit.", actor=legal)
    withdrawn = OutboundEmail.objects.filter(template="subprocessor_change_withdraw")
    assert sorted(withdrawn.values_list("to_email", flat=True)) == sorted(
        [org.privacy_contact_email, other_org.privacy_contact_email]
    )
    assert all("The provider missed our audit." in e.body_text for e in withdrawn)
    # and running the fan-out again creates nothing
    assert change_fanout(change_id=change.pk, notice="withdraw") == 0
    assert change_fanout(change_id=change.pk, notice="announce") == 0


def test_create_refuses_inconsistent_parties(legal):
    active = SubprocessorFactory()
    with pytest.raises(ApplicationError):
        change_create(kind="add", subprocessor=active, reason="x", effective_date=dt.date(2027, 1, 5), actor=legal)
    with pytest.raises(ApplicationError):
        change_create(
            kind="replace", subprocessor=proposed(), reason="x", effective_date=dt.date(2027, 1, 5), actor=legal
        )
    assert not SubprocessorChange.objects.exists()


@pytest.mark.parametrize("kind", ["add", "replace", "remove"])
def test_making_effective_applies_the_change_once(kind):
    change = make_change(kind=kind, status="announced", effective_date=dt.date(2026, 12, 29))
    new, old = change.subprocessor, change.replaces
    before_revisions = SubprocessorRevision.objects.count()
    not_yet = dt.datetime(2026, 12, 28, 22, 59, tzinfo=dt.UTC)  # 23:59 local on the day before
    assert change_make_effective(change=change, now=not_yet) is False
    due = dt.datetime(2026, 12, 28, 23, 5, tzinfo=dt.UTC)  # 00:05 local on the effective date
    assert change_make_effective(change=change, now=due) is True
    assert change_make_effective(change=change, now=due) is False
    change.refresh_from_db()
    new.refresh_from_db()
    assert change.status == "effective"
    assert change.effective_at == due
    if kind == "remove":
        assert new.status == Subprocessor.Status.RETIRED
        assert new.retired_on == dt.date(2026, 12, 29)
        assert SubprocessorRevision.objects.count() == before_revisions + 1
    else:
        assert new.status == Subprocessor.Status.ACTIVE
        assert new.engaged_since == dt.date(2026, 12, 29)
    if kind == "replace":
        old.refresh_from_db()
        assert old.status == Subprocessor.Status.RETIRED
        assert old.retired_on == dt.date(2026, 12, 29)
        assert SubprocessorRevision.objects.count() == before_revisions + 2
    assert AuditEvent.objects.filter(action="subprocessor_change.effective").count() == 1


def test_beat_task_makes_due_changes_effective_and_is_idempotent():
    due = make_change(status="announced", effective_date=dt.date(2026, 12, 29))
    later = make_change(status="announced", effective_date=dt.date(2026, 12, 30))
    with time_machine.travel(dt.datetime(2026, 12, 29, 0, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))), tick=False):
        assert changes_make_effective() == 1
        assert changes_make_effective() == 0
    due.refresh_from_db()
    later.refresh_from_db()
    assert (due.status, later.status) == ("effective", "announced")
    from subprocessors.listing.selectors import last_updated

    assert last_updated() == dt.date(2026, 12, 29)
