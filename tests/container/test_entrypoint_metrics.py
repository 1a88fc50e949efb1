"""The entrypoint gives the web role an empty Prometheus multiprocess directory and gunicorn's config file, and keeps
the variable away from the other roles. gunicorn and celery are stand-ins here that print what they were given."""

import os
from pathlib import Path

import pytest

from tests.container.test_container_files import run_entrypoint

STAND_IN = """#!/bin/sh
echo "args: $*"
echo "dir: ${PROMETHEUS_MULTIPROC_DIR-unset}"
if [ -n "${PROMETHEUS_MULTIPROC_DIR-}" ]; then echo "files: $(ls -A "$PROMETHEUS_MULTIPROC_DIR" | tr '\\n' ' ')"; fi
"""


@pytest.fixture
def stand_ins(tmp_path) -> str:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for program in ("gunicorn", "celery", "python"):
        path = bin_dir / program
        path.write_text(STAND_IN)
        path.chmod(0o755)
    return f"{bin_dir}:{os.environ['PATH']}"


@pytest.fixture
def static_root(tmp_path) -> Path:
    root = tmp_path / "static"
    root.mkdir()
    (root / "staticfiles.json").write_text('{"paths": {}}')
    return root


def test_web_starts_gunicorn_with_its_config_and_an_emptied_metrics_directory(tmp_path, stand_ins, static_root):
    # given the directory still holds the files of the previous start (and something that is not a metrics file)
    metrics = tmp_path / "prometheus"
    metrics.mkdir()
    (metrics / "counter_4242.db").write_bytes(b"\0" * 16)
    (metrics / "histogram_4242.db").write_bytes(b"\0" * 16)
    (metrics / "README").write_text("not ours to delete")
    # when the web role starts
    proc = run_entrypoint("web", tmp_path=static_root, PATH=stand_ins, PROMETHEUS_MULTIPROC_DIR=str(metrics))
    # then gunicorn gets the config file (child_exit marks dead workers) and an empty directory of metrics files
    assert proc.returncode == 0, proc.stderr
    lines = dict(line.split(": ", 1) for line in proc.stdout.splitlines())
    assert lines["args"].startswith("portal.wsgi --config docker/gunicorn.conf.py --bind 0.0.0.0:8000")
    assert lines["dir"] == str(metrics)
    assert lines["files"].split() == ["README"]


def test_web_creates_the_metrics_directory_when_missing(tmp_path, stand_ins, static_root):
    metrics = tmp_path / "not-yet" / "prometheus"
    proc = run_entrypoint("web", tmp_path=static_root, PATH=stand_ins, PROMETHEUS_MULTIPROC_DIR=str(metrics))
    assert proc.returncode == 0, proc.stderr
    assert metrics.is_dir()


@pytest.mark.parametrize("role", ["worker", "beat", "migrate", "manage.py"])
def test_other_roles_run_without_the_metrics_directory(tmp_path, stand_ins, role):
    # a directory these containers do not have would make their first database query fail
    proc = run_entrypoint(role, tmp_path=tmp_path, PATH=stand_ins, PROMETHEUS_MULTIPROC_DIR="/nonexistent/prometheus")
    assert proc.returncode == 0, proc.stderr
    assert "dir: unset" in proc.stdout
