"""gunicorn settings of the web role: docker/entrypoint.sh starts
`gunicorn portal.wsgi --config docker/gunicorn.conf.py` with its sizing flags (WEB_CONCURRENCY, GUNICORN_TIMEOUT, ...).
Outside the image, e.g. under systemd, start it the same way with PROMETHEUS_MULTIPROC_DIR set.

Logs: no access log, the portal writes one line for every request itself, with its request id, user and
organisation (portal.request_log). gunicorn's own lines (workers booting, a worker timing out) go to stderr in the
portal's format: JSON unless DEBUG is on or LOG_FORMAT says otherwise, like the application's.

Several gunicorn processes and one /metrics: with PROMETHEUS_MULTIPROC_DIR set, prometheus_client keeps each
process's counters and histograms in files of that directory and /metrics adds up the files of every process
(portal/core/metrics.py), whichever process answers the scrape. So the directory must start empty (a previous run's
files would be counted again) and a process that exits must be marked dead (its live gauges dropped; its counters
stay, so totals never go down when gunicorn replaces a worker after a timeout).
"""

import glob
import os

import environ

from portal.logs import default_format, gunicorn_logconfig

env = environ.Env()
accesslog = None
errorlog = "-"
logconfig_dict = gunicorn_logconfig(
    log_format=env("LOG_FORMAT", default=default_format(debug=env.bool("DEBUG", default=False))),
    level=env("LOG_LEVEL", default="INFO"),
)


def _metrics_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def on_starting(server):
    """In the master, before any worker exists: create the directory and remove files left by an earlier run (the
    entrypoint does this too; this covers gunicorn started without it)."""
    path = _metrics_dir()
    if not path:
        return
    os.makedirs(path, exist_ok=True)
    stale = glob.glob(os.path.join(path, "*.db"))
    for name in stale:
        os.remove(name)
    if stale:
        server.log.info("Removed %d metrics files of an earlier run from %s", len(stale), path)


def child_exit(server, worker):
    """In the master, after a worker exited (normally, killed, or replaced after a timeout)."""
    if _metrics_dir():
        from prometheus_client import multiprocess  # noqa: PLC0415 - gunicorn config: only with the metrics dir set

        multiprocess.mark_process_dead(worker.pid)
