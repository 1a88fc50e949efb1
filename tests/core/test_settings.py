import os
import subprocess
import sys
from pathlib import Path

import pytest

from portal.evidence.demo import issue, make_ca
from tests.pki import write_cert, write_key

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "x7#q9-production-secret-key-for-the-deploy-check-0123456789abcdefghijk",
    "ALLOWED_HOSTS": "trust.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/portal",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "EMAIL_URL": "smtp+tls://mailer:pw@smtp.example.com:587",
    "SITE_URL": "https://trust.example.com",
    "AUDIT_CHAIN_KEY": "p4Vq-production-audit-chain-key-for-the-deploy-check-0123456789",
}


def production_signing_env(directory: Path) -> dict:
    """A signing certificate from a CA that is not a demo one."""
    ca = make_ca(processor="Routewise B.V.", common_name="Routewise Issuing CA")
    leaf = issue(ca, common_name="Routewise evidence signing", organisation="Routewise B.V.")
    return {
        "PORTAL_SIGNING_KEY": str(write_key(directory / "key.pem", leaf.key)),
        "PORTAL_SIGNING_CERT": str(write_cert(directory / "cert.pem", leaf.cert)),
        "PORTAL_SIGNING_CHAIN": str(write_cert(directory / "ca.pem", ca.cert)),
    }


def deploy_check(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("CELERY_TASK_ALWAYS_EAGER", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env = {k: v for k, v in env.items() if not k.startswith(("PORTAL_SIGNING_", "PORTAL_TSA_"))}
    env.update(PRODUCTION_ENV)
    return env


def test_check_deploy_warns_when_evidence_would_be_unsigned(tmp_path):
    (tmp_path / "staticfiles.json").write_text('{"paths": {}, "version": "1.1", "hash": ""}')
    result = deploy_check({**production_env(), "STATIC_ROOT": str(tmp_path)})
    assert result.returncode == 1
    assert "(portal.W020) PORTAL_SIGNING_KEY is not set: evidence PDFs will be unsigned." in result.stderr


def test_check_deploy_has_no_warnings_under_production_settings(tmp_path):
    env = production_env()
    env.update(production_signing_env(tmp_path))
    # collectstatic has run (tests/core/test_error_pages.py runs the real one and checks the same)
    (tmp_path / "staticfiles.json").write_text('{"paths": {}, "version": "1.1", "hash": ""}')
    env["STATIC_ROOT"] = str(tmp_path)
    result = deploy_check(env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.django_db
def test_security_headers(client, settings):
    response = client.get("/")
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
