"""portal.core.bulk: COPY on PostgreSQL writes what bulk_create would, with primary keys, defaults and auto_now."""

import pytest
from django.db import IntegrityError, transaction

from portal.core.bulk import bulk_insert
from portal.delivery.models import OutboundEmail
from subprocessors.changes.models import ChangeRecipient, RecipientOrganisation
from tests.changes.factories import make_change

pytestmark = pytest.mark.django_db


def _email(key: str, **extra) -> OutboundEmail:
    return OutboundEmail(idempotency_key=key, to_email=f"{key}@example.com", subject="S", body_text="T", **extra)


def test_rows_get_their_keys_defaults_and_times():
    rows = [_email("a", headers={"List-Unsubscribe": "<https://x>"}), _email("b", body_html="<p>é</p>")]
    with transaction.atomic():
        bulk_insert(rows)
    assert all(row.pk for row in rows)
    stored = {e.idempotency_key: e for e in OutboundEmail.objects.all()}
    assert {row.pk for row in rows} == {e.pk for e in stored.values()}
    assert stored["a"].headers == {"List-Unsubscribe": "<https://x>"}
    assert stored["b"].body_html == "<p>é</p>"
    assert stored["a"].status == OutboundEmail.Status.QUEUED
    assert stored["a"].message_id
    assert stored["a"].message_id != stored["b"].message_id
    assert stored["a"].created_at is not None
    assert stored["a"].updated_at is not None
    # The sequence moved on: a row saved normally afterwards does not collide.
    later = _email("c")
    later.save()
    assert later.pk > max(row.pk for row in rows)


def test_a_duplicate_raises_integrity_error_and_writes_nothing():
    _email("dup").save()
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert([_email("new"), _email("dup")])
    assert list(OutboundEmail.objects.values_list("idempotency_key", flat=True)) == ["dup"]


def test_ignore_conflicts_keeps_the_existing_rows(org):
    change = make_change()
    first = ChangeRecipient(change=change, email="a@example.com", role=ChangeRecipient.Role.CUSTOMER)
    with transaction.atomic():
        bulk_insert([first], ignore_conflicts=True)
        recipient = ChangeRecipient.objects.get(change=change)
        links = [RecipientOrganisation(change=change, recipient=recipient, organisation=org)] * 2
        bulk_insert(links, ignore_conflicts=True)
        bulk_insert(
            [
                ChangeRecipient(change=change, email="a@example.com", role=ChangeRecipient.Role.BOTH),
                ChangeRecipient(change=change, email="b@example.com", role=ChangeRecipient.Role.SUBSCRIBER),
            ],
            ignore_conflicts=True,
        )
    roles = dict(ChangeRecipient.objects.filter(change=change).values_list("email", "role"))
    assert roles == {"a@example.com": ChangeRecipient.Role.CUSTOMER, "b@example.com": ChangeRecipient.Role.SUBSCRIBER}
    assert RecipientOrganisation.objects.filter(recipient=recipient).count() == 1
