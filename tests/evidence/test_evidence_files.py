"""portal.evidence.files: the verified read, failures that outlive the caller's transaction, the 503 answer
(HTML and JSON), `verify_evidence_files` and the daily sweep."""

import hashlib
import io
import json
import secrets

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import RequestFactory

from portal.audit.models import AuditEvent
from portal.delivery.models import OutboundEmail
from portal.evidence import files as ef
from portal.evidence.events import EVIDENCE_INTEGRITY_FAILED
from portal.evidence.middleware import EvidenceIntegrityMiddleware
from portal.evidence.tasks import evidence_files_sweep
from portal.trust import documents as docs
from tests.trust.factories import pdf_upload

pytestmark = pytest.mark.django_db

FAILED = EVIDENCE_INTEGRITY_FAILED.action


def _store(content: bytes, name: str = "evidence/file.pdf") -> tuple[str, str]:
    return default_storage.save(name, ContentFile(content)), hashlib.sha256(content).hexdigest()


def _tamper(path: str) -> None:
    with open(default_storage.path(path), "ab") as fh:
        fh.write(b"x")


def _lead_rows() -> int:
    return OutboundEmail.objects.filter(to_email=settings.PORTAL_LEGAL_LEAD_EMAIL).count()


# --- the verified read --------------------------------------------------------------------------------------------


class CountingStorage:
    """The default storage, recording the size of every read of the opened file."""

    def __init__(self):
        self.reads = []

    def open(self, name, mode="rb"):
        storage = self

        class Counting(io.FileIO):
            def read(self, size=-1):
                storage.reads.append(size)
                return super().read(size)

        return Counting(default_storage.path(name), "r")


def test_large_file_is_read_in_chunks_and_served_from_the_hashed_copy(monkeypatch):
    monkeypatch.setattr(ef, "SPOOL_MAX_BYTES", 1024)  # spill to disk
    content = secrets.token_bytes(300_000)
    path, sha = _store(content)
    storage = CountingStorage()
    with ef.open_verified(path=path, sha256=sha.upper(), what="test file", storage=storage) as fh:
        assert fh._rolled  # on disk, not in memory
        _tamper(path)  # changing the stored file after the check changes nothing of what is served
        assert fh.read() == content
    assert set(storage.reads) == {ef.CHUNK_BYTES}
    assert len(storage.reads) == 300_000 // ef.CHUNK_BYTES + 2  # full chunks, the rest, the empty end


def test_read_verified_returns_the_bytes():
    path, sha = _store(b"%PDF-1.7 evidence")
    assert ef.read_verified(path=path, sha256=sha, what="test file") == b"%PDF-1.7 evidence"
    assert not AuditEvent.objects.filter(action=FAILED).exists()


@pytest.mark.parametrize("path", ["", "evidence/never-stored.pdf"])
def test_no_file_is_a_missing_file(path):
    with pytest.raises(ef.EvidenceIntegrityError) as info:
        ef.open_verified(path=path, sha256="a" * 64, what="test file")
    assert info.value.missing
    assert info.value.recorded
    assert AuditEvent.objects.get(action=FAILED).details["missing"] is True


def test_failure_without_a_request_is_recorded_as_the_system():
    path, sha = _store(b"%PDF-1.7 evidence")
    _tamper(path)
    with pytest.raises(ef.EvidenceIntegrityError):
        ef.read_verified(path=path, sha256=sha, what="test file")
    event = AuditEvent.objects.get(action=FAILED)
    assert event.actor_label == "system"
    assert event.details["actual_sha256"] == hashlib.sha256(b"%PDF-1.7 evidencex").hexdigest()
    assert _lead_rows() == 1


# --- failures outlive the caller's transaction -------------------------------------------------------------------


def test_requests_are_not_atomic_so_a_download_records_its_failure_at_once():
    assert settings.DATABASES["default"]["ATOMIC_REQUESTS"] is False


def test_inside_a_transaction_the_failure_is_recorded_after_it_rolled_back(rf, legal):
    path, sha = _store(b"%PDF-1.7 evidence")
    _tamper(path)
    request = rf.get("/dpa/some.pdf")
    request.user = legal
    with pytest.raises(ef.EvidenceIntegrityError) as info, transaction.atomic():
        ef.read_verified(path=path, sha256=sha, what="test file", request=request)
    # nothing was written inside the transaction that rolled back; the middleware records it
    assert info.value.recorded is False
    assert not AuditEvent.objects.filter(action=FAILED).exists()
    response = EvidenceIntegrityMiddleware(lambda r: None).process_exception(request, info.value)
    assert response.status_code == 503
    event = AuditEvent.objects.get(action=FAILED)
    assert event.actor_id == legal.pk
    assert event.details["view"] == ""  # no URL resolved for a bare request
    assert _lead_rows() == 1
    # recorded once, however often it is handled
    assert ef.integrity_failure_record(error=info.value) is False
    assert AuditEvent.objects.filter(action=FAILED).count() == 1


def test_middleware_leaves_other_exceptions_alone(rf):
    assert EvidenceIntegrityMiddleware(lambda r: None).process_exception(rf.get("/"), ValueError("x")) is None


def test_api_clients_get_json(rf):
    path, sha = _store(b"%PDF-1.7 evidence")
    _tamper(path)
    request = rf.get("/api/v1/reports/1/file")
    request.user = type("Anon", (), {"is_authenticated": False})()
    with pytest.raises(ef.EvidenceIntegrityError) as info:
        ef.read_verified(path=path, sha256=sha, what="test file", request=request)
    response = EvidenceIntegrityMiddleware(lambda r: None).process_exception(request, info.value)
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["detail"].startswith("This file failed its integrity check and was not sent.")
    assert response["Retry-After"] == "3600"
    assert AuditEvent.objects.get(action=FAILED).actor_label == "anonymous visitor"


# --- the command and the daily sweep -------------------------------------------------------------------------------


@pytest.fixture
def documents(legal):
    made = [
        docs.document_create(
            title=f"Policy {n}",
            category="security_policy",
            access_level="approved",
            upload=pdf_upload(f"p{n}.pdf", [f"Policy {n}"]),
            version="1.0",
            actor=legal,
        )
        for n in range(3)
    ]
    return [d.current_version for d in made]


def _run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("verify_evidence_files", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_exits_zero_when_every_file_matches(documents):
    out, _ = _run()
    assert "All 3 evidence files match their recorded SHA-256" in out
    assert "trust document versions" in out


def test_command_lists_altered_and_missing_files_and_exits_non_zero(documents):
    _tamper(documents[0].file.name)
    default_storage.delete(documents[2].file.name)
    err = io.StringIO()
    with pytest.raises(CommandError, match="2 of 3 evidence files failed their integrity check"):
        call_command("verify_evidence_files", stderr=err)
    listed = err.getvalue()
    assert f"ALTERED (now {hashlib.sha256(documents[0].file.open('rb').read()).hexdigest()})" in listed
    assert documents[0].file.name in listed
    assert f"MISSING: trust document “Policy 2” version 1.0 {documents[2].file.name}" in listed
    assert documents[1].file.name not in listed
    # a check only: no audit rows, no email, unless asked
    assert not AuditEvent.objects.filter(action=FAILED).exists()
    assert _lead_rows() == 0
    with pytest.raises(CommandError):
        _run("--alert")
    assert AuditEvent.objects.filter(action=FAILED).count() == 2
    assert _lead_rows() == 2


def test_command_exit_status_from_the_shell_is_non_zero(documents, monkeypatch):
    from django.core.management import load_command_class
    from django.db import connections

    # run_from_argv closes the connections when it ends; the test's transaction needs this one
    monkeypatch.setattr(connections, "close_all", lambda: None)
    _tamper(documents[1].file.name)
    command = load_command_class("portal.evidence", "verify_evidence_files")
    command.stderr = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        command.run_from_argv(["manage.py", "verify_evidence_files"])
    assert exited.value.code == 1


def test_sweep_alerts_once_per_broken_file_per_day(documents, django_capture_on_commit_callbacks, mailoutbox):
    _tamper(documents[0].file.name)
    _tamper(documents[1].file.name)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert evidence_files_sweep() == 2
    assert AuditEvent.objects.filter(action=FAILED).count() == 4
    event = AuditEvent.objects.filter(action=FAILED).first()
    assert event.actor_label == "system (daily evidence-file check)"
    assert event.target_type == "trust.TrustDocument"
    lead = [m for m in mailoutbox if m.to == [settings.PORTAL_LEGAL_LEAD_EMAIL]]
    assert len(lead) == 2
    for version in documents[:2]:
        assert sum(version.file.name in m.body for m in lead) == 1


def test_sweep_and_a_refused_download_share_the_days_alert(documents):
    path = documents[0].file.name
    _tamper(path)
    with pytest.raises(ef.EvidenceIntegrityError):
        ef.read_verified(path=path, sha256=documents[0].sha256, what="download")
    evidence_files_sweep()
    assert _lead_rows() == 1
    assert AuditEvent.objects.filter(action=FAILED).count() == 2


def test_sweep_is_a_daily_beat_entry():
    entry = settings.CELERY_BEAT_SCHEDULE["evidence-files-verify"]
    assert entry == {"task": "portal.evidence.tasks.evidence_files_sweep", "schedule": 86400.0}


def test_sweep_covers_executed_dpas_and_open_agreements():
    assert {"executed DPAs", "agreements awaiting signature", "trust document versions"} <= set(ef.evidence_sources())


def test_another_app_registers_its_files(monkeypatch):
    path, sha = _store(b"%PDF-1.7 proof of notice")
    monkeypatch.setattr(ef, "_SOURCES", dict(ef._SOURCES))
    ef.evidence_source("issued reports")(lambda: [ef.EvidenceFile(path=path, sha256=sha, what="issued report")])
    assert "All 1 evidence files match" in _run()[0]
    _tamper(path)
    with pytest.raises(CommandError):
        call_command("verify_evidence_files", stderr=io.StringIO())


@pytest.fixture
def rf():
    return RequestFactory()


def test_every_kind_of_stored_evidence_is_in_the_sweep():
    assert set(ef.evidence_sources()) == {
        "executed DPAs",
        "agreements awaiting signature",
        "trust document versions",
        "issued reports",
    }
