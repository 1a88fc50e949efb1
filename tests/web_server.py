"""Real web processes for tests: gunicorn as the image's web role runs it (docker/gunicorn.conf.py), on a port of
its own, against the test database. Several can run at once, like web replicas behind a load balancer."""

import http.client
import os
import signal
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from tests.support import ROOT, free_port, wait_for


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str


@dataclass
class WebServer:
    proc: subprocess.Popen
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, *, headers: dict | None = None, form: dict | None = None) -> Response:
        """One request, redirects not followed (a 302 is an answer to check)."""
        body = urlencode(form) if form is not None else None
        sent = dict(headers or {})
        if form is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            return Response(response.status, dict(response.getheaders()), response.read().decode(errors="replace"))
        finally:
            conn.close()

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def worker_pids(self) -> set[int]:
        """The gunicorn worker processes of this master, as the kernel lists its children."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return {int(pid) for pid in children.read_text().split()}
        except FileNotFoundError:
            return set()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def answers(self) -> bool:
        """Liveness, asked with HEAD: tests that count GET requests in /metrics are not disturbed."""
        try:
            return self.request("HEAD", "/health/live").status == 200
        except OSError:
            return False


@contextmanager
def gunicorn_server(env: dict, *, workers: int = 1, start_timeout: float = 90):
    """gunicorn with `workers` sync processes on 127.0.0.1:<free port>, in its own process group; stopped (SIGTERM,
    then SIGKILL) on exit. Its error log goes to a file (a pipe nobody reads would stall it)."""
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="gunicorn-", suffix=".log", delete=False)  # noqa: SIM115 - kept open
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "portal.wsgi",
            "--config",
            "docker/gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "120",
            "--graceful-timeout",
            "10",
            "--error-logfile",
            "-",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = WebServer(proc, port, Path(log.name))
    try:
        if not wait_for(lambda: server.answers() and len(server.worker_pids()) == workers, timeout=start_timeout):
            raise RuntimeError(f"gunicorn did not start on port {port}:\n{server.log()[-3000:]}")
        yield server
    finally:
        _stop(proc)
        log.close()
        os.unlink(log.name)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
