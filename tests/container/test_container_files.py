"""The container files as an operator meets them: compose.yaml, .env.example, the entrypoint, the pin files.

Images cannot be pulled on the development machine, so compose itself never runs here; `make test-container`
builds and runs the image (tests/container/smoke.py)."""

import os
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_ROLES = ("migrate", "web", "worker", "beat")
DEV_ONLY = ("pytest", "pytest-django", "playwright", "ruff", "schemathesis", "factory-boy", "aiosmtpd", "hypothesis")


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def env_example_names() -> set[str]:
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#?\s?([A-Z][A-Z0-9_]+)=", text, re.M))


def pins(name: str) -> dict[str, str]:
    found = {}
    for line in (ROOT / name).read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            package, version = line.split(";")[0].split("==")
            found[re.sub(r"[-_.]+", "-", package).lower()] = version.strip()
    return found


def requirement_name(spec: str) -> str:
    return re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9_.-]+", spec).group(0)).lower()


def run_entrypoint(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {"PATH": os.environ["PATH"], "STATIC_ROOT": str(tmp_path), **env}
    return subprocess.run(
        ["bash", str(ROOT / "docker" / "entrypoint.sh"), *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_compose_runs_the_four_roles_of_one_image_after_migrate():
    services = compose()["services"]
    assert set(services) == {*APP_ROLES, "db", "redis", "mailpit"}
    assert {services[role]["image"] for role in APP_ROLES} == {"trust-portal:latest"}
    assert [services[role]["command"] for role in APP_ROLES] == [[role] for role in APP_ROLES]
    assert services["migrate"]["restart"] == "no"
    for role in ("web", "worker", "beat"):
        depends = services[role]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}
        assert depends["db"] == depends["redis"] == {"condition": "service_healthy"}
        assert services[role]["restart"] == "unless-stopped"


def test_compose_health_checks_and_volumes():
    config = compose()
    services = config["services"]
    assert services["web"]["healthcheck"]["test"] == ["CMD", "python", "/app/docker/healthcheck.py", "/health/ready"]
    assert "pg_isready" in services["db"]["healthcheck"]["test"]
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert "inspect ping" in services["worker"]["healthcheck"]["test"][1]
    # the private files are shared by web (uploads) and worker (rendered PDFs), and so are the signed audit
    # checkpoints (daily by the worker, on demand by staff); the database and beat's schedule persist
    assert set(config["volumes"]) == {"db-data", "private", "audit-checkpoints", "beat-state"}
    for role in ("web", "worker"):
        assert "private:/var/lib/portal/private" in services[role]["volumes"]
        assert "audit-checkpoints:/var/lib/portal/audit-checkpoints" in services[role]["volumes"]
    assert services["db"]["volumes"] == ["db-data:/var/lib/postgresql/data"]
    assert services["beat"]["volumes"] == ["beat-state:/var/lib/portal/beat"]
    assert "deploy" not in services["beat"]  # exactly one beat: never replicated


def test_compose_refuses_to_start_without_the_secrets():
    environment = compose()["services"]["web"]["environment"]
    for name in ("SECRET_KEY", "AUDIT_CHAIN_KEY", "ALLOWED_HOSTS", "SITE_URL"):
        assert environment[name] == f"${{{name}:?set {name} in .env}}"
    assert ":?set POSTGRES_PASSWORD in .env}@db:5432/portal" in environment["DATABASE_URL"]


def test_env_example_documents_every_setting_and_compose_variable():
    documented = env_example_names()
    settings_text = (ROOT / "portal" / "settings.py").read_text()
    read_by_settings = set(re.findall(r"env(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]+)\"", settings_text))
    read_by_settings |= {f"{p}_{s}" for p in ("GOOGLE", "GITHUB") for s in ("CLIENT_ID", "SECRET")}
    read_by_settings |= {"SECRET_KEY", "EMAIL_URL"}
    compose_text = (ROOT / "compose.yaml").read_text()
    interpolated = set(re.findall(r"\$\{([A-Z][A-Z0-9_]+)", compose_text))
    entrypoint = set(re.findall(r"\$\{([A-Z][A-Z0-9_]+):-", (ROOT / "docker" / "entrypoint.sh").read_text()))
    assert read_by_settings - documented == set()
    assert interpolated - documented == set()
    assert entrypoint - documented == set()


def test_env_example_has_no_usable_secrets():
    values = dict(
        line.split("=", 1) for line in (ROOT / ".env.example").read_text().splitlines() if re.match(r"[A-Z]", line)
    )
    for name in ("SECRET_KEY", "AUDIT_CHAIN_KEY", "POSTGRES_PASSWORD", "EMAIL_URL"):
        assert values[name] == ""


def test_web_refuses_to_start_without_the_static_manifest(tmp_path):
    proc = run_entrypoint("web", tmp_path=tmp_path)
    assert proc.returncode == 78
    assert f"refusing to start the web server: no static files manifest at {tmp_path}/staticfiles.json" in proc.stderr
    assert "collectstatic" in proc.stderr


def test_web_refuses_an_empty_manifest_too(tmp_path):
    (tmp_path / "staticfiles.json").write_text("")
    assert run_entrypoint("web", tmp_path=tmp_path).returncode == 78


def test_other_commands_pass_through(tmp_path):
    proc = run_entrypoint("echo", "hello", tmp_path=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, "hello\n")


def test_dockerfile_runtime_stage_is_non_root_and_installs_runtime_pins_only():
    text = (ROOT / "Dockerfile").read_text()
    runtime = text[text.index("AS runtime") :]
    assert "FROM debian:bookworm-slim AS base" in text
    assert "pip install --no-cache-dir --disable-pip-version-check --no-deps -r /tmp/requirements.txt" in text
    assert "&& pip check" in text
    assert "requirements-dev" not in text
    assert "USER portal:portal" in runtime
    assert "BUILD_SECRET_KEY" not in runtime  # the collectstatic key stays in the builder stage
    assert "collectstatic" in text[: text.index("AS runtime")]
    assert 'CMD ["python", "/app/docker/healthcheck.py", "/health/live"]' in runtime
    assert "EXPOSE 8000" in runtime


def test_dockerignore_keeps_local_state_out_of_the_image():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", "private/", "var/", "staticfiles/", "tests/", "**/node_modules", ".env"} <= ignored


def test_requirements_split_runtime_from_development():
    runtime, dev = pins("requirements.txt"), pins("requirements-dev.txt")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert (ROOT / "requirements-dev.txt").read_text().splitlines()[1] == "-r requirements.txt"
    assert set(runtime) & set(dev) == set()
    assert {requirement_name(spec) for spec in project["dependencies"]} <= set(runtime)
    assert {requirement_name(spec) for spec in project["optional-dependencies"]["test"]} <= set(dev)
    assert not set(DEV_ONLY) & set(runtime)


@pytest.mark.parametrize("path", ["docker/entrypoint.sh"])
def test_entrypoint_is_executable(path):
    assert os.access(ROOT / path, os.X_OK)
