"""`manage.py backup` and `manage.py restore` as an operator runs them: a backup of a portal with an executed DPA, a
trust document and a checkpointed audit log restores into an empty PostgreSQL database and empty storage, and the
restored portal passes `verify_audit_log` and `verify_evidence_files`; a damaged backup, a database that is not empty
and stored files that would be replaced are refused before anything changes."""

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.core.files.storage import default_storage, storages
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from dpa.signing.models import DpaExecution
from portal.audit.models import AuditEvent
from portal.backups import services as backups
from portal.evidence.checkpoints import audit_checkpoint_write
from portal.trust import documents as docs
from portal.trust.models import TrustDocumentVersion
from tests.s3 import make_bucket, use_bucket
from tests.signing.factories import memoize_pdf, published_version
from tests.signing.test_signing import _executed
from tests.trust.factories import pdf_upload

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    # pg_dump reads committed data only; the flush after each test keeps the data migrations' rows (the legal group)
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(shutil.which("pg_dump") is None, reason="needs PostgreSQL's client tools (pg_dump)"),
]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("backup and restore need PostgreSQL (DATABASE_URL=postgres://...)")


def _url(name: str) -> str:
    s = connection.settings_dict
    password = f":{quote(s['PASSWORD'], safe='')}" if s.get("PASSWORD") else ""
    return (
        f"postgres://{quote(s['USER'] or '', safe='')}{password}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{name}"
    )


def _admin(sql: str) -> None:
    with psycopg.connect(_url("postgres"), autocommit=True) as conn:
        conn.execute(sql)


class Target:
    """The database a restore goes into, seen directly (not through Django)."""

    def __init__(self, name: str):
        self.name = name
        self.url = _url(name)

    def recreate(self) -> None:
        _admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        _admin(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        _admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def query(self, sql: str) -> list[tuple]:
        with psycopg.connect(self.url) as conn:
            return conn.execute(sql).fetchall()

    def relations(self) -> int:
        with psycopg.connect(self.url) as conn:
            return conn.execute(backups.postgres.RELATIONS_SQL.replace("%%", "%")).fetchone()[0]


@pytest.fixture
def target():
    """An empty database beside the test database (`<test database>_restore`), dropped afterwards."""
    made = Target(f"{connection.settings_dict['NAME']}_restore")
    made.recreate()
    yield made
    made.drop()


@pytest.fixture
def portal(client, org, org_admin, legal, monkeypatch):
    """A portal with an executed DPA (agreement and executed PDF), a trust document and a checkpointed audit log."""
    memoize_pdf(monkeypatch)
    published_version(label="2026.1")
    execution = _executed(org_admin, org, legal, client)
    document = docs.document_create(
        title="Security policy",
        category="security_policy",
        access_level="approved",
        upload=pdf_upload("policy.pdf", ["Security policy"]),
        version="1.0",
        actor=legal,
    )
    audit_checkpoint_write(trigger="command")
    return {"execution": execution, "document": document}


@pytest.fixture
def document(legal):
    """A smaller portal for the refusals: one trust document and a checkpointed audit log."""
    made = docs.document_create(
        title="Security policy",
        category="security_policy",
        access_level="approved",
        upload=pdf_upload("policy.pdf", ["Security policy"]),
        version="1.0",
        actor=legal,
    )
    audit_checkpoint_write(trigger="command")
    return made.current_version


def _stored(alias: str) -> dict[str, bytes]:
    storage = storages[alias]
    result = {}
    for name in backups.storage_names(storage):
        with storage.open(name, "rb") as fh:
            result[name] = fh.read()
    return result


def _fresh_storage(settings, tmp_path: Path, label: str) -> None:
    """Empty private and checkpoint directories, as on a new machine."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / label / "private")},
        },
        "audit_checkpoints": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / label / "audit-checkpoints")},
        },
    }


def _backup(dest: Path) -> str:
    out = io.StringIO()
    call_command("backup", str(dest), stdout=out)
    return out.getvalue()


def _restore(source: Path, target: Target, *args: str) -> str:
    out = io.StringIO()
    call_command("restore", str(source), "--database-url", target.url, *args, stdout=out)
    return out.getvalue()


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


# --- a round trip ---------------------------------------------------------------------------------------------------


def test_a_backup_restores_into_an_empty_database_and_the_restored_portal_verifies(
    portal, target, settings, tmp_path, test_pki
):
    # given a running portal's data, files and checkpoint
    files_before = {alias: _stored(alias) for alias in backups.STORAGE_ALIASES}
    audit_rows = AuditEvent.objects.count()
    # when it is backed up into an archive
    archive = tmp_path / "portal-backup.tar"
    out = _backup(archive)
    # then the archive holds the dump and every file, each with its hash and size in the manifest
    assert f"Backup written to {archive}" in out
    assert archive.stat().st_mode & 0o777 == 0o600  # personal data and signed contracts: the owner only
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        members = set(tar.getnames())
    assert manifest["format"] == "trust-portal-backup"
    assert manifest["app_version"] == "0.1.0"
    assert manifest["created_at"].endswith("Z")
    assert manifest["database"]["file"] == "database.dump"
    assert "database.dump" in members
    assert len(manifest["database"]["sha256"]) == 64
    assert {"audit", "organisations", "trust", "signing", "breaches", "listing", "changes"} <= set(
        manifest["migrations"]
    )
    listed = {(f["storage"], f["name"]): f for f in manifest["files"]}
    assert set(listed) == {(alias, name) for alias, found in files_before.items() for name in found}
    execution, version = portal["execution"], portal["document"].current_version
    for alias, name, sha in [
        ("default", execution.executed_path, execution.executed_sha256),
        ("default", execution.agreement_path, execution.agreement_sha256),
        ("default", version.file.name, version.sha256),
    ]:
        assert listed[(alias, name)]["sha256"] == sha
        assert f"files/{alias}/{name}" in members
    assert manifest["storages"]["audit_checkpoints"]["files"] == 2  # the checkpoint and its signature

    # when it is restored on a new machine: empty storage, empty database
    _fresh_storage(settings, tmp_path, "new-machine")
    out = _restore(archive, target)
    # then the checks ran against the restored database and files, and passed
    assert "match manifest.json" in out
    assert "Audit log intact" in out
    assert "1 checkpoints consistent with it" in out
    assert "All 2 evidence files match their recorded SHA-256" in out  # the executed DPA and the document
    assert "Restore complete: the audit log and every evidence file verify." in out
    # and the rows are in the target database, with the restore itself recorded last
    assert target.query("SELECT status, executed_sha256 FROM signing_dpaexecution") == [
        (DpaExecution.Status.EXECUTED, execution.executed_sha256)
    ]
    assert target.query("SELECT sha256 FROM trust_trustdocumentversion") == [(version.sha256,)]
    assert target.query("SELECT count(*) FROM audit_auditevent") == [(audit_rows + 1,)]
    [(action, details)] = target.query("SELECT action, details FROM audit_auditevent ORDER BY id DESC LIMIT 1")
    assert action == "backup.restored"
    assert details["checks"] == {"audit log": True, "evidence files": True}
    assert details["backup_created_at"] == manifest["created_at"]
    # and the files are back, byte for byte
    assert {alias: _stored(alias) for alias in backups.STORAGE_ALIASES} == files_before
    # and the source database was left alone
    assert AuditEvent.objects.count() == audit_rows
    assert TrustDocumentVersion.objects.count() == 1

    # the restored portal verifies on its own, as the operator would start it
    env = {
        "DATABASE_URL": target.url,
        "PRIVATE_STORAGE_ROOT": str(tmp_path / "new-machine" / "private"),
        "AUDIT_CHECKPOINT_ROOT": str(tmp_path / "new-machine" / "audit-checkpoints"),
        "PORTAL_SIGNING_KEY": test_pki.settings["PORTAL_SIGNING_KEY"],
        "PORTAL_SIGNING_CERT": test_pki.settings["PORTAL_SIGNING_CERT"],
        "PORTAL_SIGNING_CHAIN": ",".join(test_pki.settings["PORTAL_SIGNING_CHAIN"]),
    }
    audit = _manage("verify_audit_log", **env)
    assert audit.returncode == 0, audit.stderr
    assert f"Audit log intact: {audit_rows + 1} rows verified" in audit.stdout
    evidence = _manage("verify_evidence_files", **env)
    assert evidence.returncode == 0, evidence.stderr
    assert "All 2 evidence files match" in evidence.stdout


def test_a_backup_from_a_bucket_restores_into_another_bucket(s3_endpoint, legal, target, settings, tmp_path):
    use_bucket(settings, make_bucket(s3_endpoint))
    docs.document_create(
        title="Security policy",
        category="security_policy",
        access_level="approved",
        upload=pdf_upload("policy.pdf", ["Security policy"]),
        version="1.0",
        actor=legal,
    )
    audit_checkpoint_write(trigger="command")
    files_before = {alias: _stored(alias) for alias in backups.STORAGE_ALIASES}
    _backup(tmp_path / "backup")
    assert (tmp_path / "backup").stat().st_mode & 0o777 == 0o700

    fresh = make_bucket(s3_endpoint)
    use_bucket(settings, fresh)
    out = _restore(tmp_path / "backup", target)

    assert "All 1 evidence files match" in out
    assert "Restore complete" in out
    assert {alias: _stored(alias) for alias in backups.STORAGE_ALIASES} == files_before
    assert len(fresh.object_keys()) == 3  # the document, the checkpoint and its signature


# --- refusals ---------------------------------------------------------------------------------------------------


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damaged", ["trust document", "database dump"])
def test_a_damaged_backup_is_refused_and_nothing_changes(document, target, settings, tmp_path, damaged):
    # given a backup in a directory with one byte changed
    backup = tmp_path / "backup"
    _backup(backup)
    member = f"files/default/{document.file.name}" if damaged == "trust document" else "database.dump"
    _flip_byte(backup / member)
    _fresh_storage(settings, tmp_path, "new-machine")
    # when it is restored
    with pytest.raises(CommandError) as refused:
        _restore(backup, target)
    # then the restore names the file and stops before touching the database or the storage
    message = str(refused.value)
    assert message.startswith("The backup does not match its manifest, so nothing was restored:")
    assert f"- {member} has SHA-256 " in message
    assert target.relations() == 0
    assert _stored("default") == {}
    assert _stored("audit_checkpoints") == {}


def test_an_unlisted_or_missing_file_or_a_newer_release_is_refused_too(document, target, settings, tmp_path):
    backup = tmp_path / "backup"
    _backup(backup)
    # a backup from a newer release: migrations this one does not have
    newer = tmp_path / "newer"
    shutil.copytree(backup, newer)
    manifest = json.loads((newer / "manifest.json").read_text())
    manifest["migrations"]["dpa"] = "9999_from_the_future"
    (newer / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(
        CommandError, match=r"newer release of the portal \(0\.1\.0; migrations this one does not have: "
    ):
        _restore(newer, target)
    assert target.relations() == 0
    (backup / "files" / "default" / "planted.pdf").write_bytes(b"%PDF-1.7 not from the portal")
    (backup / "files" / "default" / document.file.name).unlink()
    _fresh_storage(settings, tmp_path, "new-machine")
    with pytest.raises(CommandError) as refused:
        _restore(backup, target)
    assert "- files/default/planted.pdf is not listed in the manifest" in str(refused.value)
    assert f"- files/default/{document.file.name} is missing" in str(refused.value)
    assert target.relations() == 0


def test_a_database_that_is_not_empty_or_files_that_differ_are_refused_unless_forced(
    document, target, settings, tmp_path
):
    backup = tmp_path / "backup"
    _backup(backup)
    _fresh_storage(settings, tmp_path, "new-machine")
    _restore(backup, target)
    restored_rows = target.query("SELECT count(*) FROM audit_auditevent")

    # restoring over the restored database is refused, and changes nothing
    with pytest.raises(CommandError, match=r"The target database \S+ on \S+ is not empty \(\d+ tables"):
        _restore(backup, target)
    assert target.query("SELECT count(*) FROM audit_auditevent") == restored_rows

    # a stored file that differs from the backup's copy is refused before the (new, empty) database is touched
    target.recreate()
    path = Path(default_storage.path(document.file.name))
    path.write_bytes(path.read_bytes() + b"\n")
    with pytest.raises(CommandError, match=r"1 files in the storages differ from the backup's copies \(default:"):
        _restore(backup, target)
    assert target.relations() == 0

    # --force gives the file the backup's bytes back
    out = _restore(backup, target, "--force")
    assert ", 1 replaced." in out
    assert "Restore complete" in out
    with default_storage.open(document.file.name, "rb") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == document.sha256
    # and replaces what a non-empty database holds of the backup
    out = _restore(backup, target, "--force")
    assert "Restore complete" in out
    assert target.query("SELECT count(*) FROM audit_auditevent") == restored_rows


def test_backup_refuses_sqlite_with_a_clear_message(tmp_path):
    result = _manage("backup", str(tmp_path / "backup"), DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert result.returncode == 1
    assert "The database is SQLite, not PostgreSQL: backup and restore use pg_dump and pg_restore." in result.stderr
    assert not (tmp_path / "backup").exists()


def test_backup_never_replaces_another(tmp_path):
    (tmp_path / "backup").mkdir()
    with pytest.raises(CommandError, match="already exists: give a new directory or archive name"):
        _backup(tmp_path / "backup")


def test_a_restore_whose_checks_fail_exits_non_zero(document, target, settings, tmp_path):
    # given a backup restored with another audit chain key than the one the log was written with
    _backup(tmp_path / "backup")
    _fresh_storage(settings, tmp_path, "new-machine")
    settings.AUDIT_CHAIN_KEY = "a-different-key-than-the-one-the-audit-log-was-written-with-0123456789"
    # when it is restored
    with pytest.raises(CommandError) as failed:
        _restore(tmp_path / "backup", target)
    # then the data is there, but the command fails on the audit log check and says so
    assert "The backup was restored, but the audit log check failed" in str(failed.value)
    assert target.query("SELECT count(*) FROM trust_trustdocumentversion") == [(1,)]
    assert not target.query("SELECT id FROM audit_auditevent WHERE action = 'backup.restored'")
