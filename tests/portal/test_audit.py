import pgtrigger
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from portal.models import AppendOnlyError, AuditEvent
from portal.services.audit import audit_record, audit_verify_chain
from tests.auth import login
from tests.factories import make_legal

pytestmark = pytest.mark.django_db


# These tests play an attacker with raw access who also gets past the PostgreSQL trigger (a table owner can
# switch it off): the hash chain must still show the edit. tests/portal/test_immutable.py shows the trigger.
def as_attacker():
    return pgtrigger.ignore("portal.AuditEvent:audit_event_append_only")


def _events(n=5):
    return [audit_record(action=f"test.event{i}", target_type="x", target_id=i, details={"i": i}) for i in range(n)]


def test_each_row_chains_to_the_previous_hash():
    events = _events(3)
    assert events[0].prev_hash == AuditEvent.GENESIS
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash
    assert audit_verify_chain()[1] is None


def test_verify_command_passes_on_an_intact_log(capsys):
    _events(4)
    call_command("verify_audit_log")
    assert "4 rows verified" in capsys.readouterr().out


def test_edited_row_is_detected_and_command_fails():
    # given
    events = _events(5)
    # when someone edits a row behind the ORM's back
    with as_attacker(), connection.cursor() as cursor:
        cursor.execute("UPDATE portal_auditevent SET action = %s WHERE id = %s", ["test.forged", events[2].pk])
    # then
    checked, broken, reason = audit_verify_chain()
    assert broken.pk == events[2].pk
    assert checked == 2
    assert "edited" in reason
    with pytest.raises(CommandError, match=f"broken at row {events[2].pk}"):
        call_command("verify_audit_log")


def test_edited_row_with_recomputed_hash_is_detected_at_the_next_row():
    events = _events(4)
    forged = AuditEvent.objects.get(pk=events[1].pk)
    forged.details = {"i": 999}
    new_hash = forged.compute_hash()
    with as_attacker(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE portal_auditevent SET details = %s, hash = %s WHERE id = %s", ['{"i": 999}', new_hash, events[1].pk]
        )
    _, broken, reason = audit_verify_chain()
    assert broken.pk == events[2].pk
    assert "previous hash" in reason


def test_deleted_row_is_detected():
    events = _events(5)
    with as_attacker(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM portal_auditevent WHERE id = %s", [events[1].pk])
    _, broken, reason = audit_verify_chain()
    assert broken.pk == events[2].pk
    assert "deleted" in reason


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
    assert admin_client.get(f"/admin/portal/auditevent/{event.pk}/delete/").status_code in (302, 403)
    response = admin_client.post(f"/admin/portal/auditevent/{event.pk}/change/", {"action": "x"})
    assert response.status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event0"
