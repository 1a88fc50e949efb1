"""What every benchmark shares: a scratch database that is never the test suite's, its own Redis databases,
production settings, child processes that are always stopped, free ports, and a plain table printer.

Safety rules (issue 18): the scripts create and DROP their database, so they only use BENCH_DATABASE_URL
(default postgres://postgres@127.0.0.1:5432/portal_bench), never DATABASE_URL; the name must contain "bench" and
must not start with "test_" (pytest-django's databases). Redis db 0 is refused for the same reason: the scripts
flush their Redis databases before and after a run.

Import this module before Django: `setup_django(env)` sets the environment and calls django.setup().
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/portal_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
DEFAULT_CELERY_REDIS_URL = "redis://127.0.0.1:6379/13"
# Throwaway keys for throwaway data; production refuses to start without them (settings.py).
SECRET_KEY = "bench-only-secret-key-not-a-secret-" + "x" * 40
AUDIT_KEY = "bench-only-audit-chain-key-not-a-secret-0123456789"
# A client behind the TLS-terminating proxy: production redirects plain HTTP (SECURE_SSL_REDIRECT), and gunicorn
# trusts X-Forwarded-Proto from 127.0.0.1 (FORWARDED_ALLOW_IPS default), as behind the real proxy.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


class BenchError(Exception):
    """A benchmark cannot run (bad configuration, a service that did not start): `run` prints it, exit status 2."""


# --- configuration -----------------------------------------------------------------------------------------


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    try:
        return int(raw.replace(",", "").replace("_", "")) if raw else default
    except ValueError:
        raise BenchError(f"{name}={raw!r} is not a whole number") from None


def env_ints(name: str, default: str) -> list[int]:
    raw = os.environ.get(name, "") or default
    try:
        return [int(part.replace("_", "")) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise BenchError(f"{name}={raw!r}: give whole numbers separated by commas, e.g. 23,2400") from None


def database_url() -> str:
    """The scratch database's URL, refused when it could be the test suite's or a real one."""
    url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if parts.scheme not in ("postgres", "postgresql"):
        raise BenchError(f"BENCH_DATABASE_URL must be a PostgreSQL URL, not {parts.scheme or url!r}")
    if not name or name.startswith("test_"):
        raise BenchError(f"refusing database {name!r}: names starting with test_ belong to the test suite")
    if not name.replace("_", "").isalnum():
        raise BenchError(f"refusing database {name!r}: use letters, digits and underscores")
    if "bench" not in name:
        raise BenchError(
            f"refusing database {name!r}: the benchmarks drop their database, so its name must contain 'bench'"
        )
    return url


def redis_url(variable: str, default: str) -> str:
    url = os.environ.get(variable) or default
    parts = urlsplit(url)
    db = parts.path.lstrip("/") or "0"
    if parts.scheme not in ("redis", "rediss") or not db.isdigit():
        raise BenchError(f"{variable} must look like redis://host:port/N, not {url!r}")
    if db == "0":
        raise BenchError(f"{variable}: refusing Redis db 0 (the benchmarks flush their Redis database)")
    return url


def redis_flush(url: str) -> None:
    import redis  # noqa: PLC0415 - only the scripts that use Redis need it

    with contextlib.closing(redis.Redis.from_url(url)) as client:
        client.flushdb()


# --- the scratch database -----------------------------------------------------------------------------------


@contextlib.contextmanager
def scratch_database(url: str) -> Iterator[str]:
    """Create the database afresh (dropping a copy an interrupted run left) and drop it afterwards."""
    import psycopg  # noqa: PLC0415

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    drop()
    with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url
    finally:
        with contextlib.suppress(Exception):
            from django.db import connections  # noqa: PLC0415

            connections.close_all()
        drop()


# --- production settings ------------------------------------------------------------------------------------

_DROPPED = (
    "DEBUG",
    "CELERY_TASK_ALWAYS_EAGER",
    "DATABASE_URL",
    "REDIS_URL",
    "SECURE_SSL_REDIRECT",
    "PROMETHEUS_MULTIPROC_DIR",
)


def production_env(*, database: str, redis: str, workdir: Path, **extra: str) -> dict[str, str]:
    """The environment of a production deployment (DEBUG unset, real Redis cache and broker), with throwaway keys
    and every file the portal writes inside `workdir`."""
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED and not k.startswith("EMAIL_")}
    env.update(
        DATABASE_URL=database,
        REDIS_URL=redis,
        SECRET_KEY=SECRET_KEY,
        AUDIT_CHAIN_KEY=os.environ.get("BENCH_AUDIT_CHAIN_KEY") or AUDIT_KEY,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL="https://127.0.0.1",
        STATIC_ROOT=str(workdir / "static"),
        PRIVATE_STORAGE_ROOT=str(workdir / "private"),
        AUDIT_CHECKPOINT_ROOT=str(workdir / "audit-checkpoints"),
        BEAT_SCHEDULE_DIR=str(workdir / "beat"),
        LOG_LEVEL=os.environ.get("BENCH_LOG_LEVEL", "INFO"),
        DJANGO_SETTINGS_MODULE="portal.settings",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def setup_django(env: dict[str, str]) -> None:
    """Django in this process, on the same settings as the servers it starts (its own log quieter: the servers' logs
    go to files, this process prints the figures)."""
    os.environ.update(env)
    os.environ["LOG_LEVEL"] = "WARNING"
    sys.path.insert(0, str(ROOT))
    import django  # noqa: PLC0415

    django.setup()


def migrate() -> None:
    from django.core.management import call_command  # noqa: PLC0415

    call_command("migrate", "--noinput", verbosity=0)


@contextlib.contextmanager
def workdir(prefix: str) -> Iterator[Path]:
    """A temporary folder for the servers' files and logs; BENCH_KEEP_LOGS=1 keeps it (its path is printed)."""
    path = Path(tempfile.mkdtemp(prefix=f"portal-bench-{prefix}-"))
    try:
        yield path
    finally:
        if os.environ.get("BENCH_KEEP_LOGS") == "1":
            print(f"logs kept in {path}", file=sys.stderr)
        else:
            shutil.rmtree(path, ignore_errors=True)


# --- child processes ----------------------------------------------------------------------------------------


def _interrupt(signum, frame):  # noqa: ARG001 - signal handler signature
    raise KeyboardInterrupt(f"signal {signum}")


def install_signal_handlers() -> None:
    """SIGTERM (and SIGHUP) unwind like Ctrl-C, so every `finally` stops its processes and drops the database."""
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)


def run(main) -> None:
    """Run a benchmark's main(): Ctrl-C or SIGTERM stops it after its clean-up, with one line instead of a trace."""
    install_signal_handlers()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # figures appear as they are measured
    try:
        main()
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        print("bench: interrupted; servers stopped, scratch database dropped", file=sys.stderr)
        raise SystemExit(130) from None


class Children:
    """Processes started by a benchmark, each in its own process group, stopped (TERM, then KILL) on exit."""

    def __init__(self, logdir: Path):
        self.logdir = logdir
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, args: Sequence[str], env: dict[str, str]) -> subprocess.Popen:
        log = open(self.logdir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            list(args), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self.procs.append((name, proc))
        return proc

    def stop(self, proc: subprocess.Popen, timeout: float = 20) -> None:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # workers left by a master that died first
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        self.procs = [(n, p) for n, p in self.procs if p is not proc]

    def log_tail(self, name: str, chars: int = 3000) -> str:
        path = self.logdir / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def __enter__(self) -> Children:
        return self

    def __exit__(self, *exc) -> None:
        for _, proc in reversed(self.procs):
            self.stop(proc)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn_args(port: int, workers: int = 3) -> list[str]:
    """docker/entrypoint.sh's web role with its defaults (3 sync workers, 1 thread, 60 s timeout)."""
    return [
        PYTHON, "-m", "gunicorn", "portal.wsgi",
        "--config", "docker/gunicorn.conf.py",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        "--threads", "1",
        "--timeout", os.environ.get("GUNICORN_TIMEOUT", "60"),
        "--graceful-timeout", "30",
        "--forwarded-allow-ips", "127.0.0.1",
        "--worker-tmp-dir", "/dev/shm",  # noqa: S108 - the image's flag: heartbeat files in memory
        "--error-logfile", "-",
    ]  # fmt: skip


def celery_worker_args(concurrency: int = 2) -> list[str]:
    """docker/entrypoint.sh's worker role."""
    return [
        PYTHON, "-m", "celery", "-A", "portal", "--quiet", "worker",
        "--loglevel", os.environ.get("BENCH_LOG_LEVEL", "INFO"), "--concurrency", str(concurrency),
    ]  # fmt: skip


def wait_until(check, *, timeout: float, what: str, interval: float = 0.1, proc: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise BenchError(f"{what}: the process exited with status {proc.returncode}")
        result = check()
        if result:
            return result
        time.sleep(interval)
    raise BenchError(f"timed out after {timeout:.0f} s waiting for {what}")


class Response:
    def __init__(self, status: int, headers, body: bytes):
        self.status, self.headers, self.body = status, headers, body

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")


def http_get(url: str, *, headers: dict[str, str] | None = None, timeout: float = 120) -> Response:
    """One GET as the proxy would forward it (no redirects followed); HTTP errors are returned, not raised."""
    request = urllib.request.Request(url, headers={**PROXY_HEADERS, **(headers or {})})  # noqa: S310 - loopback

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:
            return Response(response.status, response.headers, response.read())
    except urllib.error.HTTPError as exc:
        return Response(exc.code, exc.headers, exc.read())


def wait_http(url: str, *, proc: subprocess.Popen, timeout: float = 60) -> None:
    def up():
        try:
            return http_get(url, timeout=5).status < 500
        except OSError:
            return False

    wait_until(up, timeout=timeout, what=f"{url} to answer", interval=0.2, proc=proc)


# --- a local SMTP server ------------------------------------------------------------------------------------


def _sink_main(port: int, count, last_at, capture, dump, dumped, stop, ready, capture_file: str) -> None:
    """The SMTP sink's process: aiosmtpd accepting every message, counting them (and the time of the last one);
    while `capture` is set it keeps (sender, recipients, bytes) in memory, written to `capture_file` on `dump`."""
    import pickle  # noqa: PLC0415
    import threading  # noqa: PLC0415

    from aiosmtpd.controller import Controller  # noqa: PLC0415

    kept: list[tuple[str, list[str], bytes]] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            if capture.value:
                kept.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
            with count.get_lock():
                count.value += 1
            last_at.value = time.time()
            return "250 OK"

    def dumper() -> None:
        while not stop.is_set():
            if dump.wait(0.2):
                dump.clear()
                capture.value = 0
                with open(capture_file, "wb") as f:
                    pickle.dump(kept, f)
                dumped.set()

    controller = Controller(Handler(), hostname="127.0.0.1", port=port, data_size_limit=50 * 1024 * 1024)
    controller.start()
    threading.Thread(target=dumper, daemon=True).start()
    ready.set()
    stop.wait()
    controller.stop()


class SmtpSink:
    """A local SMTP server in its own process (so counting never slows the measured processes' own Python)."""

    def __init__(self, folder: Path):
        import multiprocessing  # noqa: PLC0415

        ctx = multiprocessing.get_context("spawn")
        self.port = free_port()
        self.count = ctx.Value("q", 0)
        self.last_at = ctx.Value("d", 0.0)
        self.capture = ctx.Value("b", 0)
        self.dump, self.dumped, self.stop, self.ready = ctx.Event(), ctx.Event(), ctx.Event(), ctx.Event()
        self.capture_file = str(folder / "captured.pickle")
        self.proc = ctx.Process(
            target=_sink_main,
            args=(self.port, self.count, self.last_at, self.capture, self.dump, self.dumped, self.stop, self.ready,
                  self.capture_file),
            daemon=True,
        )  # fmt: skip

    def __enter__(self) -> SmtpSink:
        self.proc.start()
        if not self.ready.wait(30):
            raise BenchError("the SMTP sink did not start")
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.proc.join(10)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(5)

    @property
    def accepted(self) -> int:
        return self.count.value

    def start_capture(self) -> None:
        self.capture.value = 1

    def captured(self) -> list[tuple[str, list[str], bytes]]:
        """The messages accepted since start_capture (capturing stops)."""
        import pickle  # noqa: PLC0415

        self.dumped.clear()
        self.dump.set()
        if not self.dumped.wait(60):
            raise BenchError("the SMTP sink did not hand over its messages")
        with open(self.capture_file, "rb") as f:
            return pickle.load(f)  # noqa: S301 - our own file, written by our sink process  # nosec


# --- output -------------------------------------------------------------------------------------------------


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def verdict(value: float, target: float, *, higher_is_better: bool = True) -> str:
    ok = value >= target if higher_is_better else value <= target
    return "PASS" if ok else "MISS"


def machine() -> str:
    """One line about where the figures come from, for the table in the README."""
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} CPUs ({cpu}), Python {sys.version.split()[0]}"


# --- data ---------------------------------------------------------------------------------------------------


def load_demo(folder: Path) -> None:
    """The demo's organisations, users and 23 sub-processors (what `make run` shows); its demo signing certificate
    goes to `folder`, not to the checkout's var/."""
    from django.conf import settings  # noqa: PLC0415
    from django.core.management import call_command  # noqa: PLC0415

    settings.PORTAL_SIGNING_DEMO_DIR = folder / "demo-signing"
    call_command("load_demo", "--allow-without-debug", stdout=open(os.devnull, "w"))  # noqa: SIM115


def seed_subprocessors(total: int) -> int:
    """Add generated active sub-processors (varied like real rows) until the public list has `total`, through the
    app's create service (its audit records and cache invalidation included). Returns the active count."""
    import random  # noqa: PLC0415

    from subprocessors.listing.models import Subprocessor  # noqa: PLC0415
    from subprocessors.listing.services import subprocessor_create  # noqa: PLC0415

    active = Subprocessor.objects.filter(status=Subprocessor.Status.ACTIVE)
    have = active.count()
    categories = [c.value for c in Subprocessor.Category]
    countries = ["NL", "FR", "DE", "IE", "SE", "US", "LU", "BE", "DK", "FI"]
    rnd = random.Random(7)
    for i in range(have, total):
        hq = rnd.choice(countries)
        subprocessor_create(
            data={
                "name": f"Provider {i:05}",
                "slug": f"bench-provider-{i:05}",
                "legal_entity": f"Provider {i:05} B.V.",
                "category": categories[i % len(categories)],
                "purpose": rnd.choice(
                    ["AI model processing, inference and embeddings", "Hosting and storage", "Customer support"]
                ),
                "processes_customer_data": i % 3 != 2,
                "customer_data_note": "May process API traffic and API metadata transiently.",
                "location": "EU/EEA configurations only",
                "hq_country": hq,
                "processing_region": rnd.choice(["EU", hq]),
                "eea_only": rnd.random() < 0.8,
                "retains_prompts": rnd.random() < 0.1,
                "trains_on_data": rnd.random() < 0.05,
                "website": f"https://provider{i:05}.example",
                "position": 1000 + i,
                "status": Subprocessor.Status.ACTIVE,
            },
            actor=None,
            authorised_by="benchmark data",
        )
    return active.count()


def seed_recipients(total: int) -> int:
    """Recipients of a change notice until there are `total`: four in five organisations (their privacy contact),
    one in five confirmed subscribers of the public list, like a portal with many self-serve customers."""
    from portal.organisations.models import Organisation  # noqa: PLC0415
    from subprocessors.listing.models import Subscriber  # noqa: PLC0415

    orgs, subs = Organisation.objects.count(), Subscriber.objects.count()
    want_subs = total // 5
    want_orgs = total - want_subs
    Organisation.objects.bulk_create(
        [
            Organisation(name=f"Customer {i:06d}", privacy_contact_email=f"privacy{i:06d}@customer.example")
            for i in range(orgs, want_orgs)
        ],
        batch_size=5000,
    )
    Subscriber.objects.bulk_create(
        [Subscriber(email=f"reader{i:06d}@news.example", status="confirmed") for i in range(subs, want_subs)],
        batch_size=5000,
    )
    return Organisation.objects.count() + Subscriber.objects.count()


def draft_change(name: str):
    """A draft "add" change for a new AI provider, effective in 40 days (past any notice period)."""
    import datetime as dt  # noqa: PLC0415

    from django.utils import timezone  # noqa: PLC0415

    from subprocessors.changes.models import SubprocessorChange  # noqa: PLC0415
    from subprocessors.listing.models import Subprocessor  # noqa: PLC0415

    slug = name.lower().replace(" ", "-")
    sub = Subprocessor.objects.create(
        name=name,
        slug=slug,
        legal_entity=f"{name} B.V.",
        category=Subprocessor.Category.AI_PROVIDER,
        purpose="Model hosting",
        hq_country="NL",
        processing_region="NL",
        status=Subprocessor.Status.PROPOSED,
    )
    return SubprocessorChange.objects.create(
        kind=SubprocessorChange.Kind.ADD,
        subprocessor=sub,
        reason="Benchmark",
        effective_date=timezone.localdate() + dt.timedelta(days=40),
    )


def announce(change) -> None:
    """Announce through the service staff use (its commit enqueues the fan-out on the real broker)."""
    from subprocessors.changes.services import change_announce  # noqa: PLC0415

    change_announce(change=change, effective_date=None, actor=None)


def wait_for_worker(proc: subprocess.Popen, timeout: float = 90) -> None:
    from celery import current_app  # noqa: PLC0415

    wait_until(
        lambda: current_app.control.ping(timeout=1.0),
        timeout=timeout,
        what="the Celery worker",
        interval=0.5,
        proc=proc,
    )


def dump_json(name: str, data: object) -> None:
    """BENCH_JSON_DIR set: also write the figures as JSON (for comparing runs)."""
    folder = os.environ.get("BENCH_JSON_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / f"{name}.json").write_text(json.dumps(data, indent=2, default=str))
