"""`make test-container`: build the production image and run it as production would, against this machine's
PostgreSQL and Redis (not collected by pytest; run with the development venv's python).

Builds the image with podman, creates its own database, runs the `migrate` role to completion, then the web,
worker and beat containers (--network host, DEBUG unset), waits for /health/ready, checks a page and its hashed
stylesheet, that the web server runs as non-root and that `web` refuses to start without the static manifest,
announces a sub-processor change inside the web container and waits for the containerised worker to deliver the
change notice to an SMTP sink running here. Containers, volume, database and Redis db are removed at the end.

Environment: PG_URL (server to create the database on; default postgres://postgres@127.0.0.1:5432/postgres),
CONTAINER_REDIS_URL (default redis://127.0.0.1:6379/10), CONTAINER_IMAGE (default trust-portal),
CONTAINER_BUILD_CA (CA bundle given to pip in the build, default the host's /etc/ssl/certs/ca-certificates.crt),
CONTAINER_READY_TIMEOUT and CONTAINER_EMAIL_TIMEOUT (seconds to wait for /health/ready and the email: 180, 120).
"""

import base64
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager, suppress
from email import message_from_bytes
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
SETUP = ROOT.parent / "shared" / "tools" / "container-setup"
IMAGE = os.environ.get("CONTAINER_IMAGE", "trust-portal")
DB_NAME = "portal_container"
PG_URL = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("CONTAINER_REDIS_URL", "redis://127.0.0.1:6379/10")
BUILD_CA = os.environ.get("CONTAINER_BUILD_CA", "/etc/ssl/certs/ca-certificates.crt")
PREFIX = f"portal-ct-{os.getpid()}"
READY_TIMEOUT = int(os.environ.get("CONTAINER_READY_TIMEOUT", "180"))
EMAIL_TIMEOUT = int(os.environ.get("CONTAINER_EMAIL_TIMEOUT", "120"))
STYLESHEET = re.compile(r'<link rel="stylesheet" href="(/static/css/portal\.[0-9a-f]{12}\.css)"')

timings: list[tuple[str, float]] = []


class Failure(Exception):
    pass


@contextmanager
def timed(label: str):
    started = time.monotonic()
    print(f"== {label}", flush=True)
    yield
    timings.append((label, time.monotonic() - started))


def run(*args: str, check: bool = True, stdin: str | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        command = " ".join(args[:4])
        raise Failure(f"{command} ... exited {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- podman and the image ----------------------------------------------------------------------------------


def prepare_podman() -> None:
    if SETUP.exists():
        run(str(SETUP), timeout=1800)
    else:
        print(f"   {SETUP} not found: skipping the machine setup, using podman as it is")
    if not shutil.which("podman"):
        raise Failure("podman is not installed: make test-container needs podman (see ../shared/tools/container-setup)")


def build_image() -> None:
    args = ["podman", "build", "--network", "host", "--format", "docker", "-t", IMAGE]
    if BUILD_CA and Path(BUILD_CA).is_file():
        args += ["--secret", f"id=extra_ca,src={BUILD_CA}"]
    run(*args, str(ROOT), timeout=3600)


# --- database, Redis, SMTP sink -----------------------------------------------------------------------------


def database_url(name: str) -> str:
    parts = urlsplit(PG_URL)
    return urlunsplit(parts._replace(path=f"/{name}"))


def recreate_database(*, create: bool) -> None:
    import psycopg

    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


class Sink:
    """SMTP server on the host: collects what the containerised worker delivers."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


# --- containers ---------------------------------------------------------------------------------------------


def container_env(*, port: int, smtp_port: int) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url(DB_NAME),
        "REDIS_URL": REDIS_URL,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "AUDIT_CHAIN_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "SECURE_SSL_REDIRECT": "0",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "CELERY_CONCURRENCY": "1",
        "CACHE_KEY_PREFIX": "portal-container",
    }


def start(name: str, env_file: str, role: str, *extra: str, detach: bool = True) -> subprocess.CompletedProcess:
    args = ["podman", "run", "--name", name, "--network", "host", "--env-file", env_file, *extra, IMAGE, role]
    if detach:
        args.insert(2, "-d")
    return run(*args, check=detach, timeout=600)


def logs(name: str) -> str:
    proc = run("podman", "logs", name, check=False)
    return proc.stdout + proc.stderr


def get(url: str, *, timeout: float = 10) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - our own container on localhost
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except (urllib.error.URLError, OSError) as exc:
        return 0, str(exc)


def wait_for(predicate, timeout: float, every: float = 1.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return predicate()


def dump_logs(names: list[str]) -> None:
    for name in names:
        print(f"---- logs of {name} (last 4000 characters)\n{logs(name)[-4000:]}", file=sys.stderr)


# --- checks -------------------------------------------------------------------------------------------------


def check_refuses_without_manifest() -> None:
    extra = ("--rm", "--no-healthcheck", "-e", "STATIC_ROOT=/tmp/empty")
    proc = start(f"{PREFIX}-nomanifest", "/dev/null", "web", *extra, detach=False)
    said = [line for line in proc.stderr.splitlines() if line.startswith("entrypoint:")]
    if proc.returncode != 78 or not said or "no static files manifest" not in said[0]:
        raise Failure(f"web started without a manifest: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    print(f"   web without a static manifest: exit 78, {said[0]!r}")


def check_manage_py(env_file: str) -> None:
    proc = run(
        "podman",
        "run",
        "--rm",
        "--no-healthcheck",
        "--network",
        "host",
        "--env-file",
        env_file,
        IMAGE,
        "manage.py",
        "check",
        check=False,
    )
    if proc.returncode != 0 or "System check identified no issues" not in proc.stdout:
        raise Failure(f"manage.py check in the image: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    print("   manage.py check: no issues")


def check_ready(base: str, names: list[str]) -> None:
    if not wait_for(lambda: get(f"{base}/health/ready")[0] == 200, READY_TIMEOUT, every=2):
        status, body = get(f"{base}/health/ready")
        dump_logs(names)
        raise Failure(f"/health/ready did not answer 200 within {READY_TIMEOUT} s: {status} {body[:1000]}")


def check_page_and_static(base: str) -> None:
    status, body = get(f"{base}/")
    if status != 200:
        raise Failure(f"GET / answered {status}: {body[:500]}")
    match = STYLESHEET.search(body)
    if not match:
        raise Failure("GET / has no hashed stylesheet link (was the manifest used?)")
    status, css = get(base + match.group(1))
    if status != 200 or "font-family" not in css:
        raise Failure(f"GET {match.group(1)} answered {status}")
    print(f"   GET / 200, {match.group(1)} 200 ({len(css)} bytes)")


def check_image_healthcheck(web: str) -> None:
    """The image's own HEALTHCHECK (/health/live), run once by podman (no systemd timers here), and compose's."""
    proc = run("podman", "healthcheck", "run", web, check=False)
    if proc.returncode != 0:
        raise Failure(f"the image's HEALTHCHECK failed: {proc.stdout} {proc.stderr}")
    # and compose.yaml's check of the web service
    proc = run("podman", "exec", web, "python", "/app/docker/healthcheck.py", "/health/ready", check=False)
    if proc.returncode != 0:
        raise Failure(f"compose's web health check (/health/ready) failed: {proc.stderr}")
    print("   image HEALTHCHECK (/health/live) and compose's web check (/health/ready): healthy")


def check_no_static_errors(web: str) -> None:
    """With the build's manifest, the web server reports no static file as missing from it."""
    missing = [line for line in logs(web).splitlines() if "is not in the manifest" in line]
    if missing:
        raise Failure(f"web logs {len(missing)} static files missing from the manifest, e.g. {missing[0]}")
    print("   web log: no static file missing from the manifest")


def check_non_root(web: str) -> None:
    status = run("podman", "exec", web, "cat", "/proc/1/status").stdout
    uid = re.search(r"^Uid:\s+(\d+)", status, re.M).group(1)
    cmdline = run("podman", "exec", web, "cat", "/proc/1/cmdline").stdout.replace("\0", " ")
    if uid == "0" or "gunicorn" not in cmdline:
        raise Failure(f"web's process 1 runs as uid {uid}: {cmdline}")
    print(f"   web process 1 is gunicorn, uid {uid}")


def announce_and_wait_for_notice(web: str, worker: str, sink: Sink) -> None:
    script = (ROOT / "tests" / "container" / "announce.py").read_text()
    proc = run("podman", "exec", "-i", web, "python", "manage.py", "shell", stdin=script, timeout=300)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    recipient = result["recipient"]

    def delivered():
        return [msg for rcpts, msg in sink.messages if recipient in rcpts and "Container Inference" in str(msg)]

    if not wait_for(delivered, EMAIL_TIMEOUT):
        dump_logs([worker, web])
        raise Failure(f"no change notice for {recipient} within {EMAIL_TIMEOUT} s ({len(sink.messages)} emails)")
    worker_log = logs(worker)
    if "change_fanout_task" not in worker_log or "outbox_deliver" not in worker_log:
        dump_logs([worker])
        raise Failure("the worker's log does not show the fan-out and the delivery")
    subject = " ".join(str(delivered()[0]["Subject"]).split())
    print(f"   change {result['change']}: notice {subject!r} delivered to {recipient} by the containerised worker")


def check_beat(beat: str) -> None:
    state = run("podman", "inspect", "--format", "{{.State.Running}}", beat).stdout.strip()
    schedule = run("podman", "exec", beat, "ls", "/var/lib/portal/beat", check=False).stdout
    if state != "true" or "beat: Starting" not in logs(beat) or "celerybeat-schedule" not in schedule:
        dump_logs([beat])
        raise Failure("beat is not running with its schedule in /var/lib/portal/beat")
    print(f"   beat running, schedule in /var/lib/portal/beat: {schedule.split()}")


# --- the run ------------------------------------------------------------------------------------------------


def main() -> int:
    from aiosmtpd.controller import Controller

    names = [f"{PREFIX}-{role}" for role in ("migrate", "web", "worker", "beat")]
    volume = f"{PREFIX}-private"
    workdir = tempfile.mkdtemp(prefix="portal-container-")
    started = time.monotonic()
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    try:
        with timed("podman setup (../shared/tools/container-setup)"):
            prepare_podman()
        with timed(f"podman build -t {IMAGE}"):
            build_image()
        controller.start()
        port = free_port()
        env_file = Path(workdir) / "portal.env"
        env = container_env(port=port, smtp_port=controller.port)
        env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
        with timed("entrypoint: web without static manifest, manage.py pass-through"):
            check_refuses_without_manifest()
            check_manage_py(str(env_file))
        with timed(f"database {DB_NAME} and Redis {REDIS_URL}"):
            recreate_database(create=True)
            flush_redis()
            run("podman", "volume", "create", volume)
        with timed("migrate role"):
            proc = start(names[0], str(env_file), "migrate", "--no-healthcheck", detach=False)
            if proc.returncode != 0:
                raise Failure(f"migrate exited {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        with timed("web, worker, beat up and /health/ready 200"):
            private = ("-v", f"{volume}:/var/lib/portal/private")
            start(names[1], str(env_file), "web", *private, "--health-interval", "disable")
            start(names[2], str(env_file), "worker", *private, "--no-healthcheck")
            start(names[3], str(env_file), "beat", "--no-healthcheck")
            check_ready(f"http://127.0.0.1:{port}", names[1:])
        with timed("page, hashed stylesheet, non-root"):
            check_page_and_static(f"http://127.0.0.1:{port}")
            check_image_healthcheck(names[1])
            check_no_static_errors(names[1])
            check_non_root(names[1])
            check_beat(names[3])
        with timed("announce a change; worker delivers the notice"):
            announce_and_wait_for_notice(names[1], names[2], sink)
    except Failure as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - PostgreSQL, Redis or podman unreachable: say so, then clean up
        print(f"FAILED: {exc!r}", file=sys.stderr)
        return 1
    finally:
        cleanup(names, volume, workdir, controller)
        timings.append(("total", time.monotonic() - started))
        print("\ntimings:")
        for label, seconds in timings:
            print(f"  {seconds:7.1f} s  {label}")
    print("make test-container: OK")
    return 0


def cleanup(names: list[str], volume: str, workdir: str, controller) -> None:
    with suppress(Exception):
        controller.stop()
    for name in [*names, f"{PREFIX}-nomanifest"]:
        run("podman", "rm", "--force", "--ignore", "--time", "5", name, check=False)
    run("podman", "volume", "rm", "-f", volume, check=False)
    with suppress(Exception):
        recreate_database(create=False)
    with suppress(Exception):
        flush_redis()
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the cleanup when CI stops us
    sys.exit(main())
