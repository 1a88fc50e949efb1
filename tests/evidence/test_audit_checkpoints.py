"""Signed checkpoints of the audit log, outside the database: deleted newest rows and tampered checkpoints are
caught; the daily schedule, the command and the staff button write them; production refuses to run unkeyed."""

import base64
import json
import shutil
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from portal.audit.keys import audit_current_key
from portal.audit.models import AuditEvent
from portal.audit.services import audit_record
from portal.evidence import signing
from portal.evidence.checkpoints import (
    audit_checkpoint_write,
    audit_checkpoints,
    audit_checkpoints_verify,
    checkpoint_storage,
)
from tests.audit.test_audit import attacker
from tests.auth import login
from tests.core.test_settings import ROOT, deploy_check, production_env

pytestmark = pytest.mark.django_db

URL = "/staff/audit/checkpoint/"


def _events(n):
    return [audit_record(action=f"test.event{i}", target_type="x", target_id=i) for i in range(n)]


def _path(name):
    return django_settings.AUDIT_CHECKPOINT_ROOT / name


def test_command_writes_a_signed_checkpoint_and_emails_it_to_the_legal_lead(capsys, settings, run_on_commit):
    # given
    events = _events(3)
    # when
    run_on_commit(call_command, "audit_checkpoint")
    # then the checkpoint records the log as it was, outside the database
    [checkpoint] = audit_checkpoints()
    assert checkpoint.name.startswith("checkpoint-")
    assert checkpoint.name.endswith("Z.json")
    assert f"Checkpoint {checkpoint.name} written, signed: 3 rows up to id {events[-1].pk}" in capsys.readouterr().out
    data = json.loads(_path(checkpoint.name).read_bytes())
    assert data["row_count"] == 3
    assert data["head_id"] == events[-1].pk
    assert data["head_hash"] == events[-1].hash
    assert data["key_id"] == audit_current_key()[0]
    assert data["processor"] == settings.PORTAL_PROCESSOR_NAME
    assert data["site"] == "http://testserver"
    assert data["created_at"].endswith("Z")
    # signed by the portal's certificate
    signature = _path(checkpoint.name + ".p7s").read_bytes()
    result = signing.verify_data(_path(checkpoint.name).read_bytes(), signature)
    assert result.valid
    assert result.ours
    # recorded after the head it vouches for
    event = AuditEvent.objects.order_by("-id").first()
    assert event.action == "audit.checkpoint_written"
    assert event.details == {
        "file": checkpoint.name,
        "trigger": "command",
        "row_count": 3,
        "head_id": events[-1].pk,
        "signed": True,
    }
    # and emailed to the legal lead with the exact file and its signature
    [email] = mail.outbox
    assert email.to == [settings.PORTAL_LEGAL_LEAD_EMAIL]
    assert email.subject == f"Audit log checkpoint {data['created_at']}: 3 rows"
    assert f'"head_hash": "{events[-1].hash}"' in email.body
    blocks = email.body.split("checkpoint.b64 (the exact file):\n")[1].split("\n\nsignature.b64")
    assert base64.b64decode(blocks[0]) == _path(checkpoint.name).read_bytes()
    signature_block = blocks[1].split(":\n", 1)[1].split("\n\n")[0]
    assert base64.b64decode(signature_block) == signature


def test_an_intact_log_and_its_checkpoints_verify(capsys):
    _events(2)
    first = audit_checkpoint_write(trigger="command")
    _events(2)
    audit_checkpoint_write(trigger="command")
    call_command("verify_audit_log")
    out = capsys.readouterr().out
    assert "Audit log intact: 6 rows verified" in out
    assert "2 checkpoints consistent with it" in out
    assert first.name != audit_checkpoints()[1].name


def test_deleted_newest_rows_are_detected_against_the_checkpoint():
    # given a checkpoint of 5 rows (the 6th row records the checkpoint itself)
    events = _events(5)
    checkpoint = audit_checkpoint_write(trigger="command")
    # when someone deletes the newest rows: the remaining chain is valid and shorter
    with attacker() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id >= %s", [events[3].pk])
    report = audit_checkpoints_verify()
    # then
    expected = (
        f"The checkpoint of {checkpoint.created_at} recorded 5 rows up to id {events[4].pk}; the log now ends at id "
        f"{events[2].pk}: the newest rows were deleted."
    )
    assert report.problems == [expected]
    with pytest.raises(CommandError) as failure:
        call_command("verify_audit_log")
    assert expected in str(failure.value)
    assert "3 of 3 rows verified" in str(failure.value)


def test_a_changed_head_row_and_fewer_rows_are_reported():
    events = _events(4)
    checkpoint = audit_checkpoint_write(trigger="command")
    with attacker() as cursor:
        cursor.execute("UPDATE audit_auditevent SET hash = %s WHERE id = %s", ["f" * 64, events[3].pk])
        cursor.execute("DELETE FROM audit_auditevent WHERE id IN (%s, %s)", [events[0].pk, events[1].pk])
    recorded = f"The checkpoint of {checkpoint.created_at} recorded 4 rows"
    assert audit_checkpoints_verify().problems == [
        f"{recorded} up to id {events[3].pk}; row {events[3].pk} has changed since.",
        f"{recorded}; the log now has 3: rows were deleted.",  # 2 of the 4, and the checkpoint's own row
    ]


def test_tampered_checkpoint_json_is_detected():
    # given a checkpoint, then truncated rows and a checkpoint edited to match
    events = _events(4)
    checkpoint = audit_checkpoint_write(trigger="command")
    with attacker() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id > %s", [events[1].pk])
    data = json.loads(_path(checkpoint.name).read_bytes())
    data.update(row_count=2, head_id=events[1].pk, head_hash=events[1].hash)
    _path(checkpoint.name).write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    # then both its HMAC and its signature give it away
    problems = audit_checkpoints_verify().problems
    assert problems[0] == f"{checkpoint.name} was tampered with: its HMAC does not match its content."
    assert (
        problems[1] == f"The signature of {checkpoint.name} does not verify: The data was changed after it was signed."
    )
    with pytest.raises(CommandError, match="tampered with"):
        call_command("verify_audit_log")


def test_tampered_checkpoint_without_its_signature_is_still_detected():
    _events(2)
    checkpoint = audit_checkpoint_write(trigger="command")
    _path(checkpoint.name + ".p7s").unlink()
    data = json.loads(_path(checkpoint.name).read_bytes())
    data["row_count"] = 1
    _path(checkpoint.name).write_text(json.dumps(data))
    report = audit_checkpoints_verify()
    assert report.problems == [f"{checkpoint.name} was tampered with: its HMAC does not match its content."]


def test_damaged_checkpoint_and_orphaned_signature_are_reported():
    _events(1)
    checkpoint = audit_checkpoint_write(trigger="command")
    _path(checkpoint.name).write_text("{not json")
    orphan = audit_checkpoint_write(trigger="command")
    shutil.move(_path(orphan.name), _path("elsewhere.txt"))
    problems = audit_checkpoints_verify().problems
    assert problems == [
        f"{checkpoint.name} is not a complete checkpoint: the file was tampered with or damaged.",
        f"{orphan.name}.p7s has no checkpoint next to it: the checkpoint file was deleted.",
    ]


def test_checkpoint_carries_a_timestamp_from_the_tsa(tsa):
    _events(1)
    checkpoint = audit_checkpoint_write(trigger="command")
    result = signing.verify_data(checkpoint.raw, _path(checkpoint.name + ".p7s").read_bytes())
    assert result.valid
    assert result.timestamp_at is not None
    assert audit_checkpoints_verify().ok


def test_unsigned_checkpoint_when_no_certificate_is_configured(unsigned, capsys, run_on_commit):
    _events(1)
    checkpoint = run_on_commit(audit_checkpoint_write, trigger="schedule")
    assert checkpoint.signature is None
    assert not _path(checkpoint.name + ".p7s").exists()
    assert "This checkpoint is not signed" in mail.outbox[0].body
    call_command("verify_audit_log")
    out = capsys.readouterr().out
    assert f"Note: {checkpoint.name} is not signed" in out
    assert "Audit log intact" in out


def test_signing_failure_writes_nothing(monkeypatch):
    _events(1)

    def fail(data):
        raise signing.SigningFailed(signing.SIGNING_FAILED)

    monkeypatch.setattr(signing, "sign_data", fail)
    with pytest.raises(CommandError, match="could not be signed right now"):
        call_command("audit_checkpoint")
    assert audit_checkpoints() == []
    assert not mail.outbox


@pytest.mark.skipif(not shutil.which("openssl"), reason="openssl not installed")
def test_an_auditor_verifies_a_checkpoint_with_openssl(test_pki, tmp_path):
    """The command line in the README: no portal code involved."""
    _events(2)
    checkpoint = audit_checkpoint_write(trigger="command")
    command = [
        "openssl", "cms", "-verify", "-binary", "-inform", "DER",
        "-in", str(_path(checkpoint.name + ".p7s")), "-content", str(_path(checkpoint.name)),
        "-CAfile", str(test_pki.ca_pem), "-purpose", "any", "-out", str(tmp_path / "out.json"),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)  # noqa: S603
    assert result.returncode == 0, result.stderr
    assert "Verification successful" in result.stderr
    assert (tmp_path / "out.json").read_bytes() == _path(checkpoint.name).read_bytes()
    _path(checkpoint.name).write_text(_path(checkpoint.name).read_text().replace('"row_count": 2', '"row_count": 1'))
    tampered = subprocess.run(command, capture_output=True, text=True, timeout=60)  # noqa: S603
    assert tampered.returncode != 0
    assert "Verification failure" in tampered.stderr


# --- Schedule ---------------------------------------------------------------------------------------


def test_beat_writes_a_checkpoint_every_day():
    from celery.schedules import crontab

    from portal.evidence.tasks import audit_checkpoint_task

    entry = django_settings.CELERY_BEAT_SCHEDULE["audit-checkpoint"]
    assert entry["task"] == "portal.evidence.tasks.audit_checkpoint_task"
    assert isinstance(entry["schedule"], crontab)
    assert entry["schedule"].hour == {3}
    assert entry["schedule"].day_of_week == set(range(7))
    # and it writes one even when the log has not moved since the last one
    _events(1)
    first = audit_checkpoint_task.apply().get()
    second = audit_checkpoint_task.apply().get()
    assert [c.name for c in audit_checkpoints()] == sorted({first, second})
    assert len(audit_checkpoints()) == 2
    assert AuditEvent.objects.filter(action="audit.checkpoint_written", details__trigger="schedule").count() == 2


# --- Staff button -----------------------------------------------------------------------------------


def test_legal_writes_a_checkpoint_from_the_audit_page(client, legal, django_capture_on_commit_callbacks):
    _events(2)
    login(client, legal)
    page = client.get(reverse("staff:audit"))
    assert "No checkpoint has been written yet." in page.content.decode()
    assert f'action="{URL}"' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, follow=True)
    assert response.status_code == 200
    [checkpoint] = audit_checkpoints()
    body = response.content.decode()
    assert "Checkpoint written: 2 rows, emailed to legal-lead@portal.example." in body
    assert f"Latest checkpoint: {checkpoint.created_at}, 2 rows." in body
    event = AuditEvent.objects.get(action="audit.checkpoint_written")
    assert event.actor_id == legal.pk
    assert event.details["trigger"] == "staff"
    assert event.ip == "127.0.0.1"
    assert mail.outbox[0].to == ["legal-lead@portal.example"]


def test_button_needs_csrf(legal):
    csrf_client = Client(enforce_csrf_checks=True)
    login(csrf_client, legal)
    assert csrf_client.post(URL).status_code == 403
    assert audit_checkpoints() == []


def test_button_is_post_only(client, legal):
    login(client, legal)
    assert client.get(URL).status_code == 405
    assert audit_checkpoints() == []


def test_button_refuses_anonymous_customers_and_legal_without_mfa(client, org_admin, legal_no_mfa):
    response = client.post(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    login(client, org_admin)
    assert client.post(URL).status_code == 403
    login(client, legal_no_mfa)
    response = client.post(URL)
    assert response.status_code == 302
    assert "/accounts/login/" not in response["Location"]
    assert audit_checkpoints() == []
    assert not AuditEvent.objects.filter(action="audit.checkpoint_written").exists()


def test_button_explains_an_unwritable_storage(client, legal, settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    settings.STORAGES = {
        **settings.STORAGES,
        "audit_checkpoints": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocker / "checkpoints")},
        },
    }
    login(client, legal)
    response = client.post(URL, follow=True)
    assert response.status_code == 200
    assert "The checkpoint could not be stored" in response.content.decode()
    assert not AuditEvent.objects.filter(action="audit.checkpoint_written").exists()
    assert not mail.outbox
    assert checkpoint_storage().location == str(blocker / "checkpoints")


# --- Production settings ----------------------------------------------------------------------------


def _settings_subprocess(env):
    code = "import django; django.setup(); from django.conf import settings; print(len(settings.AUDIT_CHAIN_KEY))"
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_the_key():
    env = {k: v for k, v in production_env().items() if k not in ("AUDIT_CHAIN_KEY", "DEBUG")}
    result = _settings_subprocess(env)
    assert result.returncode != 0
    assert "ImproperlyConfigured: AUDIT_CHAIN_KEY is not set." in result.stderr
    assert _settings_subprocess(production_env()).returncode == 0
    assert _settings_subprocess({**env, "DEBUG": "1"}).stdout.strip() == str(len(django_settings.AUDIT_CHAIN_DEV_KEY))


def test_check_deploy_flags_a_short_or_development_key(tmp_path):
    (tmp_path / "staticfiles.json").write_text('{"paths": {}, "version": "1.1", "hash": ""}')
    env = {**production_env(), "STATIC_ROOT": str(tmp_path)}
    short = deploy_check({**env, "AUDIT_CHAIN_KEY": "only-31-bytes-long-0123456789ab"})
    assert "(portal.W031) AUDIT_CHAIN_KEY is shorter than 32 bytes" in short.stderr
    dev = deploy_check({**env, "AUDIT_CHAIN_KEY": django_settings.AUDIT_CHAIN_DEV_KEY})
    assert "(portal.W030) AUDIT_CHAIN_KEY is the development key" in dev.stderr
    assert "portal.W03" not in deploy_check({**env, "AUDIT_CHAIN_KEY": "x" * 32}).stderr
