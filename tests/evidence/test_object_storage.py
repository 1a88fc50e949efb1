"""Private files in an S3-compatible bucket (PRIVATE_STORAGE_BUCKET), against moto's S3 server: uploads and rendered
PDFs land in the bucket, private and encrypted, with no URL of their own; downloads pass the same SHA-256 check as on
disk, and an object altered or deleted in the bucket is refused (503), audited and reported by
`verify_evidence_files`; audit checkpoints live in the bucket too."""

import hashlib
import io
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.evidence.checkpoints import audit_checkpoint_write
from portal.evidence.events import EVIDENCE_INTEGRITY_FAILED
from portal.object_storage import PrivateS3Storage
from portal.trust import documents as docs
from tests.auth import login
from tests.organisations.factories import MembershipFactory, UserFactory
from tests.s3 import CHECKPOINT_PREFIX
from tests.signing.factories import memoize_pdf, published_version
from tests.signing.test_signing import _executed
from tests.trust.factories import grant, pdf_upload

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
ALTERED = "This file failed its integrity check and was not sent. Our legal team has been alerted"
MISSING = "This file could not be found in storage and was not sent. Our legal team has been alerted"


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _verify_evidence_files_exit_code(monkeypatch) -> int:
    """`manage.py verify_evidence_files` as the shell sees it: its exit status."""
    from django.db import connections

    monkeypatch.setattr(connections, "close_all", lambda: None)  # the test's transaction needs this connection
    command = load_command_class("portal.evidence", "verify_evidence_files")
    command.stdout, command.stderr = io.StringIO(), io.StringIO()
    try:
        command.run_from_argv(["manage.py", "verify_evidence_files"])
    except SystemExit as exited:
        return exited.code
    return 0


# --- settings -------------------------------------------------------------------------------------------------------


def _settings_process(**env: str) -> subprocess.CompletedProcess:
    code = (
        "import django; django.setup()\n"
        "from django.core.files.storage import storages\n"
        "for alias in ('default', 'audit_checkpoints'):\n"
        "    s = storages[alias]\n"
        "    print(alias, type(s).__name__, s.bucket_name, s.location, s.region_name, s.endpoint_url, s.default_acl,\n"
        "          s.object_parameters, s.file_overwrite)\n"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PRIVATE_STORAGE_", "AUDIT_CHECKPOINT_"))}
    environment.update(DJANGO_SETTINGS_MODULE="portal.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )


def test_a_bucket_setting_moves_private_files_and_checkpoints_into_it():
    result = _settings_process(
        PRIVATE_STORAGE_BUCKET="acme-trust-portal",
        PRIVATE_STORAGE_ENDPOINT_URL="https://s3.fr-par.scw.cloud",
        PRIVATE_STORAGE_REGION="fr-par",
        PRIVATE_STORAGE_ENCRYPTION="AES256",
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines == [
        "default PrivateS3Storage acme-trust-portal private fr-par https://s3.fr-par.scw.cloud private "
        "{'ServerSideEncryption': 'AES256'} False",
        "audit_checkpoints PrivateS3Storage acme-trust-portal audit-checkpoints fr-par https://s3.fr-par.scw.cloud "
        "private {'ServerSideEncryption': 'AES256'} False",
    ]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PRIVATE_STORAGE_ENCRYPTION": "yes"}, "PRIVATE_STORAGE_ENCRYPTION is 'yes': use AES256"),
        ({"PRIVATE_STORAGE_ACCESS_KEY_ID": "AKIA123"}, "Set both PRIVATE_STORAGE_ACCESS_KEY_ID and"),
        ({"PRIVATE_STORAGE_PREFIX": ""}, "give each its own non-empty prefix"),
        ({"AUDIT_CHECKPOINT_PREFIX": "private/checkpoints"}, "neither inside the other"),
    ],
)
def test_a_bad_bucket_setting_stops_the_portal_with_the_setting_to_fix(env, message):
    result = _settings_process(PRIVATE_STORAGE_BUCKET="acme-trust-portal", **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


# --- files in the bucket --------------------------------------------------------------------------------------------


def test_an_uploaded_trust_document_is_a_private_encrypted_object_served_only_after_its_check(
    s3, legal, client, django_capture_on_commit_callbacks, monkeypatch
):
    # given a trust document uploaded with the bucket as private storage
    doc = docs.document_create(
        title="Security policy",
        category="security_policy",
        access_level="approved",
        upload=pdf_upload("policy.pdf", ["Security policy"]),
        version="1.0",
        actor=legal,
    )
    version = doc.current_version
    assert s3.object_keys() == [s3.key(version.file.name)]
    stored = s3.read(version.file.name)
    assert hashlib.sha256(stored).hexdigest() == version.sha256
    assert s3.head(version.file.name)["ServerSideEncryption"] == "AES256"
    grants = s3.client.get_object_acl(Bucket=s3.name, Key=s3.key(version.file.name))["Grants"]
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]  # the owner only: no AllUsers / AuthenticatedUsers
    assert all("URI" not in g["Grantee"] for g in grants)
    # when a reader with access downloads it
    reader = UserFactory()
    grant(reader, "approved")
    login(client, reader)
    url = reverse("trust:document_file", args=[doc.public_id])
    response = client.get(url)
    # then they get the stored bytes, and the evidence check agrees
    assert response.status_code == 200
    assert _body(response) == stored
    assert _verify_evidence_files_exit_code(monkeypatch) == 0

    # when someone with bucket access alters the object
    s3.write(version.file.name, stored + b"\n")
    with django_capture_on_commit_callbacks(execute=True):
        refused = client.get(url)
    # then the portal refuses it as it does on disk, records why, and the command fails
    assert refused.status_code == 503
    assert ALTERED in _body(refused).decode()
    assert b"%PDF" not in _body(refused)
    event = AuditEvent.objects.get(action=EVIDENCE_INTEGRITY_FAILED.action)
    assert event.details["path"] == version.file.name
    assert event.details["expected_sha256"] == version.sha256
    assert event.details["actual_sha256"] == hashlib.sha256(stored + b"\n").hexdigest()
    assert event.details["missing"] is False
    assert event.actor_id == reader.pk
    assert AuditEvent.objects.filter(action="document.downloaded").count() == 1  # the first download only
    assert _verify_evidence_files_exit_code(monkeypatch) == 1


def test_an_executed_dpa_is_rendered_into_the_bucket_and_a_deleted_object_is_refused(
    s3, client, org, org_admin, legal, monkeypatch, django_capture_on_commit_callbacks
):
    # given a DPA signed and countersigned with the bucket as private storage
    memoize_pdf(monkeypatch)
    published_version(label="2026.1")
    execution = _executed(org_admin, org, legal, client)
    assert s3.key(execution.executed_path) in s3.object_keys()
    assert s3.key(execution.agreement_path) in s3.object_keys()
    stored = s3.read(execution.executed_path)
    assert hashlib.sha256(stored).hexdigest() == execution.executed_sha256
    # when a member of the organisation downloads it
    login(client, MembershipFactory(organisation=org).user)
    url = reverse("signing:executed_pdf", args=[org.public_id, execution.public_id])
    response = client.get(url)
    # then it is the executed file, and every stored file verifies
    assert response.status_code == 200
    assert _body(response) == stored
    out = io.StringIO()
    call_command("verify_evidence_files", stdout=out)
    assert "evidence files match their recorded SHA-256" in out.getvalue()

    # when the object is deleted from the bucket
    s3.delete(execution.executed_path)
    with django_capture_on_commit_callbacks(execute=True):
        refused = client.get(url)
    # then the download is refused as missing, audited, and the command fails
    assert refused.status_code == 503
    assert MISSING in _body(refused).decode()
    event = AuditEvent.objects.get(action=EVIDENCE_INTEGRITY_FAILED.action)
    assert event.details["missing"] is True
    assert event.details["path"] == execution.executed_path
    assert event.target_type == "signing.DpaExecution"
    assert _verify_evidence_files_exit_code(monkeypatch) == 1


def test_audit_checkpoints_are_kept_and_checked_in_the_bucket(s3):
    checkpoint = audit_checkpoint_write(trigger="command")
    assert s3.key(checkpoint.name, CHECKPOINT_PREFIX) in s3.object_keys()
    assert s3.key(checkpoint.name + ".p7s", CHECKPOINT_PREFIX) in s3.object_keys()
    out = io.StringIO()
    call_command("verify_audit_log", stdout=out)
    assert "1 checkpoints consistent with it" in out.getvalue()
    # a checkpoint deleted from the bucket is noticed through the signature left behind
    s3.delete(checkpoint.name, CHECKPOINT_PREFIX)
    with pytest.raises(CommandError, match=f"{checkpoint.name}.p7s has no checkpoint next to it"):
        call_command("verify_audit_log", stdout=io.StringIO())


def test_no_url_leads_into_the_bucket(s3, client):
    name = default_storage.save("evidence/file.pdf", ContentFile(b"%PDF-1.7 evidence"))
    assert isinstance(storages["default"], PrivateS3Storage)
    url = default_storage.url(name)
    assert url == "/_no-public-media/evidence/file.pdf"
    assert client.get(url).status_code == 404


def test_a_taken_name_gets_a_new_one_instead_of_overwriting(s3):
    first = default_storage.save("reports/report.pdf", ContentFile(b"first"))
    second = default_storage.save("reports/report.pdf", ContentFile(b"second"))
    assert first == "reports/report.pdf"
    assert second != first
    assert (s3.read(first), s3.read(second)) == (b"first", b"second")


def test_readiness_writes_to_the_bucket(s3, client):
    with ThreadPoolExecutor(max_workers=1) as pool:  # an async view: from a fresh thread, as tests/portal/test_health
        response = pool.submit(client.get, "/health/ready", HTTP_ACCEPT="application/json").result()
    assert response.status_code == 200, response.content
    assert s3.object_keys() == []  # the probe file is removed again
