"""/metrics behind gunicorn with several processes, as the web role runs it (docker/gunicorn.conf.py and
PROMETHEUS_MULTIPROC_DIR): request counters are the sum over every process whichever one answers the scrape, a
previous run's files are not counted, a worker that dies keeps its counts, and the portal's own gauges (read from the
database) are reported once, not once per process."""

import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from tests.changes.factories import make_change
from tests.support import wait_for, worker_env
from tests.web_server import WebServer, gunicorn_server

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TOKEN = "multiprocess-metrics-token"
REQUESTS = "django_http_requests_total_by_view_transport_method"
LIVE = {"method": "GET", "transport": "http", "view": "health_live"}
STALE_COUNT = 1000


def _web_env(metrics_dir: Path) -> dict:
    env = worker_env(smtp_port=0, queue="metrics-test", redis_url=os.environ.get("REDIS_URL", ""))
    env.update(METRICS_TOKEN=TOKEN, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    return env


def _leave_previous_run(metrics_dir: Path) -> Path:
    """A counter file as a previous start of the container leaves it: 1,000 requests to /health/live."""
    script = (
        "from prometheus_client import Counter\n"
        f"Counter({REQUESTS!r}, 'old', ['view', 'transport', 'method'])"
        f".labels('health_live', 'http', 'GET').inc({STALE_COUNT})\n"
    )
    subprocess.run(
        [sys.executable, "-c", script], env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}, check=True
    )
    (stale,) = metrics_dir.glob("counter_*.db")
    return stale


def _live_requests(samples) -> float:
    return sum(s.value for s in samples if s.name == f"{REQUESTS}_total" and s.labels == LIVE)


def _per_process(metrics_dir: Path) -> dict[int, float]:
    """Requests to /health/live counted by each process, from its own file."""
    counts = {}
    for path in metrics_dir.glob("counter_*.db"):
        samples = [s for metric in MultiProcessCollector.merge([str(path)]) for s in metric.samples]
        counts[int(path.stem.split("_")[1])] = _live_requests(samples)
    return counts


def _burst(web: WebServer, n: int) -> int:
    """n requests to /health/live from 8 clients at once, so both sync workers take some."""
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: web.get("/health/live").status, range(n)))
    assert statuses == [200] * n
    return n


def _scrape(web: WebServer) -> dict:
    response = web.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status == 200, response.body[:500]
    families = list(text_string_to_metric_families(response.body))
    names = [f.name for f in families]
    # no family twice: the per-process files and the portal's gauges end up in one exposition each
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    return {f.name: f for f in families}


def _held_changes(families: dict) -> list:
    return [(s.labels, s.value) for s in families["portal_changes_held"].samples]


def test_request_counters_are_summed_over_gunicorn_processes_and_gauges_counted_once(tmp_path):
    # given two changes held (a portal gauge, read from the database at scrape time) and the files of a previous run
    make_change(status="held")
    make_change(status="held")
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    stale = _leave_previous_run(metrics_dir)

    with gunicorn_server(_web_env(metrics_dir), workers=2) as web:
        assert not stale.exists()  # emptied when gunicorn started (docker/gunicorn.conf.py on_starting)
        # when requests go to /health/live until each of the two processes has answered some
        made = 0
        while sum(1 for n in _per_process(metrics_dir).values() if n) < 2:
            assert made < 400, f"one gunicorn process took all {made} requests"
            made += _burst(web, 20)
        per_process = _per_process(metrics_dir)

        # then every scrape, whichever process answers it, reports all of them and the portal's gauges once
        scrapes = [_scrape(web) for _ in range(6)]
        totals = [_live_requests(f[f"{REQUESTS}"].samples) for f in scrapes]
        assert totals == [made] * len(scrapes)
        assert sum(per_process.values()) == made
        for families in scrapes:
            assert _held_changes(families) == [({}, 2.0)]
            portal_labels = [s.labels for name, f in families.items() if name.startswith("portal_") for s in f.samples]
            assert not [labels for labels in portal_labels if "pid" in labels]

        # when gunicorn loses a worker (SIGKILL) and starts a new one
        before = web.worker_pids()
        victim = max(before)
        os.kill(victim, signal.SIGKILL)
        assert wait_for(lambda: len(web.worker_pids()) == 2 and victim not in web.worker_pids(), timeout=60)
        assert wait_for(web.answers, timeout=30)
        # then the dead worker's requests still count, and new ones add to them
        after_kill = _live_requests(_scrape(web)[REQUESTS].samples)
        made += _burst(web, 10)
        final = _scrape(web)
        assert after_kill == made - 10
        assert _live_requests(final[REQUESTS].samples) == made
        assert _held_changes(final) == [({}, 2.0)]
