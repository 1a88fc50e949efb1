"""The keyed audit chain: what someone with write access to the database, but not the key, can and cannot hide."""

import hashlib
import hmac
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from portal.audit.keys import audit_current_key, audit_key_id
from portal.audit.models import AppendOnlyError, AuditEvent
from portal.audit.services import audit_record, audit_verify_chain
from tests.auth import login
from tests.organisations.factories import make_legal

pytestmark = pytest.mark.django_db

NEW_KEY = "second-audit-chain-key-for-the-rotation-test-0123456789"


def _events(n=5):
    return [audit_record(action=f"test.event{i}", target_type="x", target_id=i, details={"i": i}) for i in range(n)]


@contextmanager
def attacker():
    """A cursor as someone with the database owner's rights (but not the key) has it: table triggers, such as an
    append-only guard, are switched off first, as that person could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        yield cursor
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")


def _rewrite(events, hash_row):
    """Rewrite rows from `events[0]` on: new details, hashes from `hash_row(prev_hash, row)`, links consistent."""
    prev = AuditEvent.objects.get(pk=events[0].pk).prev_hash
    with attacker() as cursor:
        for event in events:
            row = AuditEvent.objects.get(pk=event.pk)
            row.details = {"i": "forged"}
            row.prev_hash = prev
            new_hash = hash_row(prev, row)
            cursor.execute(
                "UPDATE audit_auditevent SET details = %s, prev_hash = %s, hash = %s WHERE id = %s",
                ['{"i": "forged"}', prev, new_hash, row.pk],
            )
            prev = new_hash


def _plain_sha256(prev, row):
    return hashlib.sha256((prev + row.canonical()).encode()).hexdigest()


def _wrong_key(prev, row):
    return row.compute_hash(b"an-attacker-guessed-key-that-is-not-the-real-one")


def test_each_row_is_keyed_and_chains_to_the_previous_hash():
    events = _events(3)
    key_id, key = audit_current_key()
    assert events[0].prev_hash == AuditEvent.GENESIS
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash
    assert {e.key_id for e in events} == {key_id}
    expected = hmac.new(key, (events[1].prev_hash + events[1].canonical()).encode(), hashlib.sha256).hexdigest()
    assert events[1].hash == expected
    assert events[1].hash != _plain_sha256(events[1].prev_hash, events[1])
    report = audit_verify_chain()
    assert report.ok
    assert report.verified == 3
    assert report.head_id == events[2].pk


def test_the_key_is_not_in_the_database(settings):
    _events(2)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM audit_auditevent")
        stored = repr(cursor.fetchall())
    assert settings.AUDIT_CHAIN_KEY not in stored
    assert audit_key_id(settings.AUDIT_CHAIN_KEY.encode()) in stored


def test_verify_command_passes_on_an_intact_log(capsys):
    _events(4)
    call_command("verify_audit_log")
    out = capsys.readouterr().out
    assert "Audit log intact: 4 rows verified" in out
    assert "none written yet" in out


def test_edited_row_is_named_and_command_fails():
    events = _events(5)
    with attacker() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["test.forged", events[2].pk])
    report = audit_verify_chain()
    assert report.problems == [f"Row {events[2].pk} was edited: its HMAC does not match its content."]
    assert report.verified == 4
    with pytest.raises(CommandError, match=f"Row {events[2].pk} was edited"):
        call_command("verify_audit_log")


def test_edited_row_with_an_unkeyed_hash_also_breaks_the_next_link():
    events = _events(4)
    _rewrite(events[1:2], _plain_sha256)
    problems = audit_verify_chain().problems
    assert f"Row {events[2].pk} does not follow the row before it" in problems[0]
    assert problems[1] == f"Row {events[1].pk} was edited: its HMAC does not match its content."


@pytest.mark.parametrize("forge", [_plain_sha256, _wrong_key], ids=["plain-sha256", "wrong-key"])
def test_whole_chain_recomputed_without_the_key_is_detected(forge):
    # given a log, rewritten by someone who recomputed every hash so that every link is consistent
    events = _events(5)
    _rewrite(events, forge)
    # then no link is broken, yet every row fails its HMAC
    report = audit_verify_chain()
    assert not report.broken_link_count
    assert report.verified == 0
    assert report.problems == [
        "Every row (5) fails its HMAC: the whole chain was rewritten without the key (or AUDIT_CHAIN_KEY is not "
        "the key the log was written with)."
    ]
    with pytest.raises(CommandError, match="rewritten without the key"):
        call_command("verify_audit_log")


def test_chain_recomputed_from_a_row_on_is_reported_as_a_rewritten_stretch():
    events = _events(6)
    _rewrite(events[2:], _plain_sha256)
    assert audit_verify_chain().problems == [
        f"Rows {events[2].pk} to {events[5].pk} (4 rows) fail their HMACs: they were rewritten without the key."
    ]


def test_deleted_row_is_detected_at_the_next_row():
    events = _events(5)
    with attacker() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    problems = audit_verify_chain().problems
    assert len(problems) == 1
    assert f"Row {events[2].pk} does not follow the row before it" in problems[0]
    assert "deleted" in problems[0]


def test_deleted_oldest_rows_are_detected():
    events = _events(3)
    with attacker() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[0].pk])
    assert audit_verify_chain().problems == [
        f"The first row ({events[1].pk}) does not start the chain: older rows were deleted."
    ]


def test_rotation_marks_the_boundary_and_rows_on_both_sides_verify(settings, capsys):
    # given rows keyed with the first key
    before = _events(2)
    old_key, old_id = settings.AUDIT_CHAIN_KEY, before[0].key_id
    # when the operator rotates: the old key is kept for verification, a new one becomes current
    settings.AUDIT_CHAIN_OLD_KEYS = [old_key]
    settings.AUDIT_CHAIN_KEY = NEW_KEY
    after = _events(2)
    # then the first append after the change records the rotation, keyed with the new key
    new_id = audit_key_id(NEW_KEY.encode())
    marker = AuditEvent.objects.get(action="audit.key_rotated")
    assert marker.details == {"from_key_id": old_id, "to_key_id": new_id}
    assert marker.key_id == new_id
    assert marker.prev_hash == before[-1].hash
    assert after[0].prev_hash == marker.hash
    assert [e.key_id for e in AuditEvent.objects.order_by("id")] == [old_id, old_id, new_id, new_id, new_id]
    assert AuditEvent.objects.filter(action="audit.key_rotated").count() == 1
    report = audit_verify_chain()
    assert report.ok
    assert report.verified == 5
    call_command("verify_audit_log")
    assert "5 rows verified" in capsys.readouterr().out


def test_dropping_the_old_key_reports_the_rows_it_cannot_check(settings):
    before = _events(2)
    old_id = before[0].key_id
    settings.AUDIT_CHAIN_KEY = NEW_KEY  # rotated, but the old key was not kept in AUDIT_CHAIN_OLD_KEYS
    _events(1)
    report = audit_verify_chain()
    assert report.verified == 2  # the rotation marker and the new row
    assert report.problems == [
        f"2 rows (ids {before[0].pk} to {before[1].pk}) were keyed with key id {old_id}, which is not configured, "
        "so they cannot be checked: add that retired key to AUDIT_CHAIN_OLD_KEYS."
    ]
    with pytest.raises(CommandError, match="not configured"):
        call_command("verify_audit_log")


def test_a_row_naming_an_unknown_key_id_fails_verification():
    events = _events(2)
    with attacker() as cursor:
        cursor.execute("UPDATE audit_auditevent SET key_id = %s WHERE id = %s", ["0123456789ab", events[1].pk])
    assert "key id 0123456789ab, which is not configured" in audit_verify_chain().problems[0]


def test_orm_refuses_update_and_delete():
    event = _events(1)[0]
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event0"


def test_admin_cannot_change_or_delete(client, admin_user):
    admin_client = client
    login(client, make_legal(admin_user))
    event = _events(1)[0]
    assert admin_client.get(f"/admin/audit/auditevent/{event.pk}/delete/").status_code in (302, 403)
    response = admin_client.post(f"/admin/audit/auditevent/{event.pk}/change/", {"action": "x"})
    assert response.status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event0"
