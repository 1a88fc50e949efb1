"""Evidence rows (audit log, published DPA versions, executed DPAs) cannot be rewritten: PostgreSQL triggers refuse
raw SQL, the ORM refuses bulk operations on every backend, and a fresh SQLite database still migrates."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command, get_commands
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from dpa.signing.models import DpaExecution
from dpa.versions.models import DpaVersion
from portal.audit.models import AuditEvent
from portal.audit.services import audit_record, audit_verify_chain
from portal.core.errors import ApplicationError
from tests.organisations.factories import OrganisationFactory
from tests.signing.factories import DpaVersionFactory, published_version

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers are PostgreSQL only")
ROOT = Path(__file__).resolve().parents[2]


def _raw(sql, params=()):
    """Run SQL as someone with a database shell would; a refusal rolls back only this statement."""
    with transaction.atomic(), connection.cursor() as cursor:
        if sql.startswith("TRUNCATE"):
            # The test's own inserts left deferred foreign-key checks pending, which TRUNCATE will not wait for.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(sql, params)


def _refused(sql, params=(), *, trigger):
    with pytest.raises(DatabaseError) as refused:
        _raw(sql, params)
    assert f"refused by pgtrigger_{trigger}_" in str(refused.value)
    return str(refused.value)


def _execution(version, status=DpaExecution.Status.EXECUTED, **kwargs) -> DpaExecution:
    now = timezone.now()
    signed = {}
    if status == DpaExecution.Status.EXECUTED:
        signed = {
            "customer_signed_at": now,
            "countersigned_at": now,
            "executed_at": now,
            "executed_sha256": os.urandom(32).hex(),
        }
    return DpaExecution.objects.create(
        organisation=OrganisationFactory(),
        version=version,
        status=status,
        agreement_path="dpa/agreement.pdf",
        agreement_sha256="a" * 64,
        signatory_name="Ines de Vries",
        signatory_title="CFO",
        signatory_email="ines@customer.example",
        link_expires_at=now + dt.timedelta(days=14),
        **signed,
        **kwargs,
    )


# --- PostgreSQL: raw SQL ------------------------------------------------------------------------------------------


@postgresql_only
def test_raw_update_delete_and_truncate_of_the_audit_log_are_refused():
    event = audit_record(action="test.evidence", target_type="x", target_id=1)
    message = _refused(
        "UPDATE audit_auditevent SET action = 'test.forged' WHERE id = %s",
        [event.pk],
        trigger="audit_event_append_only",
    )
    assert "UPDATE refused by pgtrigger_audit_event_append_only_" in message
    assert f"audit event {event.pk} is append-only" in message
    assert "Record a new audit event that corrects it" in message  # the HINT
    _refused("DELETE FROM audit_auditevent WHERE id = %s", [event.pk], trigger="audit_event_append_only")
    message = _refused("TRUNCATE audit_auditevent", trigger="audit_log_no_truncate")
    assert "audit_auditevent is the append-only audit log" in message
    assert AuditEvent.objects.get().action == "test.evidence"
    assert audit_verify_chain().problems == []


@postgresql_only
def test_raw_changes_to_a_published_version_are_refused():
    version = published_version()
    body = version.body
    trigger = "dpa_version_published_is_frozen"
    message = _refused("UPDATE versions_dpaversion SET body = 'edited' WHERE id = %s", [version.pk], trigger=trigger)
    assert f"DPA version {version.label} is published" in message
    assert "Draft and publish a new version instead" in message
    for column, value in [("published_at", timezone.now()), ("label", "9.9"), ("status", "draft")]:
        _refused(f"UPDATE versions_dpaversion SET {column} = %s WHERE id = %s", [value, version.pk], trigger=trigger)  # noqa: S608
    message = _refused(
        "DELETE FROM versions_dpaversion WHERE id = %s", [version.pk], trigger="dpa_version_published_no_delete"
    )
    assert "a published version cannot be deleted" in message
    _refused("TRUNCATE versions_dpaversion CASCADE", trigger="dpa_version_no_truncate")
    version.refresh_from_db()
    assert (version.status, version.body) == (DpaVersion.Status.PUBLISHED, body)


@postgresql_only
def test_a_published_version_may_still_be_superseded_once_and_lose_its_deleted_publisher():
    first = published_version()
    published_version(label="next")  # supersedes `first` through the ORM
    first.refresh_from_db()
    assert first.status == DpaVersion.Status.SUPERSEDED
    # what stays allowed: the publisher's account is deleted (SET_NULL)
    _raw("UPDATE versions_dpaversion SET published_by_id = NULL, updated_at = now() WHERE id = %s", [first.pk])
    # what does not: reopening it, or moving the moment it was superseded
    trigger = "dpa_version_published_is_frozen"
    message = _refused("UPDATE versions_dpaversion SET status = 'published' WHERE id = %s", [first.pk], trigger=trigger)
    assert f"DPA version {first.label} is superseded" in message
    _refused("UPDATE versions_dpaversion SET superseded_at = now() WHERE id = %s", [first.pk], trigger=trigger)


@postgresql_only
def test_raw_sql_may_still_edit_and_delete_a_draft_version():
    draft = DpaVersionFactory()
    _raw("UPDATE versions_dpaversion SET body = 'Rewritten draft' WHERE id = %s", [draft.pk])
    assert DpaVersion.objects.get(pk=draft.pk).body == "Rewritten draft"
    _raw("DELETE FROM versions_dpaversion WHERE id = %s", [draft.pk])
    assert not DpaVersion.objects.filter(pk=draft.pk).exists()


@postgresql_only
def test_raw_changes_to_an_executed_dpa_are_refused():
    execution = _execution(published_version())
    trigger = "dpa_execution_executed_is_final"
    message = _refused(
        "UPDATE signing_dpaexecution SET executed_sha256 = %s WHERE id = %s", ["f" * 64, execution.pk], trigger=trigger
    )
    assert f"DPA execution {execution.public_id} is executed" in message
    assert "Request a new execution of the DPA instead" in message
    _refused("UPDATE signing_dpaexecution SET status = 'declined' WHERE id = %s", [execution.pk], trigger=trigger)
    _refused("DELETE FROM signing_dpaexecution WHERE id = %s", [execution.pk], trigger=trigger)
    _refused("TRUNCATE signing_dpaexecution", trigger="dpa_execution_no_truncate")
    stored = DpaExecution.objects.get(pk=execution.pk)
    assert (stored.status, stored.executed_sha256) == ("executed", execution.executed_sha256)


@postgresql_only
def test_an_open_execution_can_be_updated_moved_into_executed_and_then_no_longer():
    execution = _execution(published_version(), status=DpaExecution.Status.AWAITING_COUNTERSIGNATURE)
    _raw("UPDATE signing_dpaexecution SET signatory_title = 'CEO' WHERE id = %s", [execution.pk])
    _raw(
        "UPDATE signing_dpaexecution SET status = 'executed', customer_signed_at = now(), countersigned_at = now(),"
        " executed_at = now(), executed_sha256 = %s WHERE id = %s",
        ["b" * 64, execution.pk],
    )
    assert DpaExecution.objects.get(pk=execution.pk).status == DpaExecution.Status.EXECUTED
    _refused(
        "UPDATE signing_dpaexecution SET signatory_title = 'CTO' WHERE id = %s",
        [execution.pk],
        trigger="dpa_execution_executed_is_final",
    )


@postgresql_only
def test_an_open_execution_can_be_deleted_and_the_table_truncated_without_executed_rows():
    version = published_version()
    open_execution = _execution(version, status=DpaExecution.Status.AWAITING_SIGNATORY)
    _raw("DELETE FROM signing_dpaexecution WHERE id = %s", [open_execution.pk])
    _execution(version, status=DpaExecution.Status.AWAITING_SIGNATORY)
    _raw("TRUNCATE signing_dpaexecution")
    assert not DpaExecution.objects.exists()


# --- flush: the confirmed whole-database wipe ---------------------------------------------------------------------


def test_flush_is_the_portal_command_that_passes_the_truncate_guards():
    assert get_commands()["flush"] == "portal.core"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_flush_empties_a_database_holding_evidence():
    # Django's transactional tests flush after every test too, so this also shows their teardown keeps working.
    version = published_version()
    _execution(version)
    audit_record(action="test.evidence", target_type="x", target_id=1)
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists()
    assert not DpaVersion.objects.exists()
    assert not DpaExecution.objects.exists()


# --- ORM guards: every backend ------------------------------------------------------------------------------------


def test_bulk_operations_refuse_an_executed_dpa():
    executed = _execution(published_version())
    rows = DpaExecution.objects.filter(pk=executed.pk)
    with pytest.raises(ApplicationError, match="An executed DPA and its file cannot be changed. Request a new"):
        rows.update(signatory_title="CTO")
    with pytest.raises(ApplicationError, match="cannot be changed"):
        rows.delete()
    executed.signatory_title = "CTO"
    with pytest.raises(ApplicationError, match="cannot be changed"):
        DpaExecution.objects.bulk_update([executed], ["signatory_title"])
    with pytest.raises(ApplicationError, match="cannot be changed"):
        DpaExecution.objects.all().update(signatory_title="CTO")  # one executed row among others is enough
    assert DpaExecution.objects.get(pk=executed.pk).signatory_title == "CFO"


def test_model_delete_looks_at_the_stored_status_not_a_stale_copy():
    execution = _execution(published_version(), status=DpaExecution.Status.AWAITING_COUNTERSIGNATURE)
    stale = DpaExecution.objects.get(pk=execution.pk)
    DpaExecution.objects.filter(pk=execution.pk).update(
        status="executed",
        customer_signed_at=timezone.now(),
        countersigned_at=timezone.now(),
        executed_at=timezone.now(),
        executed_sha256="c" * 64,
    )
    with pytest.raises(ApplicationError, match="cannot be changed"):
        stale.delete()
    assert DpaExecution.objects.filter(pk=execution.pk).exists()


def test_bulk_operations_still_work_on_open_executions():
    version = published_version()
    first = _execution(version, status=DpaExecution.Status.AWAITING_SIGNATORY)
    second = _execution(version, status=DpaExecution.Status.AWAITING_SIGNATORY)
    assert DpaExecution.objects.filter(pk=first.pk).update(signatory_title="CEO") == 1
    second.signatory_title = "COO"
    DpaExecution.objects.bulk_update([second], ["signatory_title"])
    assert DpaExecution.objects.filter(pk=second.pk).delete()[0] == 1
    assert DpaExecution.objects.get(pk=first.pk).signatory_title == "CEO"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"body": "edited"}, "is published: its text can no longer be changed"),
        ({"published_at": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)}, "its text can no longer be changed"),
        ({"status": "draft"}, "can only be superseded, never reopened"),
    ],
)
def test_bulk_update_refuses_a_published_version(change, message):
    version = published_version()
    body = version.body
    with pytest.raises(ApplicationError, match=message):
        DpaVersion.objects.filter(pk=version.pk).update(**change)
    for name, value in change.items():
        setattr(version, name, value)
    with pytest.raises(ApplicationError, match=message):
        DpaVersion.objects.bulk_update([version], list(change))
    version.refresh_from_db()
    assert (version.status, version.body) == ("published", body)


def test_delete_refuses_published_and_superseded_versions():
    first = published_version()
    published_version(label="next")
    with pytest.raises(ApplicationError, match=f"Version {first.label} is superseded: it cannot be deleted"):
        DpaVersion.objects.filter(pk=first.pk).delete()
    with pytest.raises(ApplicationError, match="is published: it cannot be deleted"):
        DpaVersion.objects.get(label="next").delete()
    with pytest.raises(ApplicationError, match="cannot be deleted"):
        DpaVersion.objects.all().delete()
    assert DpaVersion.objects.count() == 2


def test_superseded_is_final_and_superseding_by_update_is_allowed():
    version = published_version()
    now = timezone.now()
    assert DpaVersion.objects.filter(pk=version.pk).update(status="superseded", superseded_at=now) == 1
    with pytest.raises(ApplicationError, match="is superseded: a published version can only be superseded"):
        DpaVersion.objects.filter(pk=version.pk).update(status="published")
    with pytest.raises(ApplicationError, match="is superseded: its text can no longer be changed"):
        DpaVersion.objects.filter(pk=version.pk).update(superseded_at=now + dt.timedelta(days=1))
    version.refresh_from_db()
    version.status = DpaVersion.Status.PUBLISHED
    with pytest.raises(ApplicationError, match="never reopened"):
        version.save()


def test_drafts_stay_editable_and_deletable_in_bulk():
    draft = DpaVersionFactory()
    published_version()
    assert DpaVersion.objects.filter(status="draft").update(body="New draft text") == 1
    draft.title = "Renamed"
    DpaVersion.objects.bulk_update([draft], ["title"])
    assert DpaVersion.objects.filter(status="draft").delete()[0] == 1
    assert DpaVersion.objects.filter(status="published").count() == 1


# --- SQLite: migrate from scratch, then the ORM guards --------------------------------------------------------------

SQLITE_CHECK = """
import datetime as dt
from django.db import connection
from dpa.versions.models import DpaVersion
from portal.core.errors import ApplicationError
from portal.audit.models import AppendOnlyError
from portal.audit.services import audit_record
from tests.signing.factories import published_version

assert connection.vendor == "sqlite", connection.vendor
version = published_version()
event = audit_record(action="test.sqlite", target_type="x", target_id=1)
for attempt, error in [
    (lambda: DpaVersion.objects.filter(pk=version.pk).update(body="edited"), ApplicationError),
    (lambda: DpaVersion.objects.filter(pk=version.pk).delete(), ApplicationError),
    (lambda: type(event).objects.filter(pk=event.pk).update(action="x"), AppendOnlyError),
]:
    try:
        attempt()
    except error as refused:
        print("refused:", refused)
    else:
        raise SystemExit("not refused")
"""


def test_a_fresh_sqlite_database_migrates_and_the_orm_guards_hold_there(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
        "CELERY_TASK_ALWAYS_EAGER": "1",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    migrated = subprocess.run([*manage, "migrate", "--noinput"], env=env, cwd=ROOT, capture_output=True, text=True)
    assert migrated.returncode == 0, migrated.stderr
    assert "Applying signing.0001_initial... OK" in migrated.stdout
    assert "Applying audit.0001_initial... OK" in migrated.stdout
    checked = subprocess.run([*manage, "shell", "-c", SQLITE_CHECK], env=env, cwd=ROOT, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.count("refused:") == 3
    assert "its text can no longer be changed" in checked.stdout
