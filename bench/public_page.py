"""Benchmark: the public sub-processor page and JSON API with 500 rows, served by gunicorn on loopback.

Prints requests/s and p50/p99 latency for /subprocessors/ and /api/v1/subprocessors/ beside the same figures
for a static file of the same size served by the same server (WhiteNoise), and the ratio.

It works on its own database: a fresh `<name>_bench_sp` database next to DATABASE_URL's on PostgreSQL (dropped
afterwards), or a temporary SQLite file without DATABASE_URL. Requests go to 127.0.0.1 only; every loop is
bounded in count and time. Usage: `make bench` or `python bench/public_page.py [--requests N] [--concurrency C]`.
"""

import argparse
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
ROWS = 500
STATIC_NAME = "bench-public-page-same-size.html"
TIME_LIMIT_SECONDS = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_database(env: dict) -> tuple[str, callable]:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        folder = tempfile.mkdtemp(prefix="bench-sp-")
        return f"sqlite:///{folder}/bench.sqlite3", lambda: shutil.rmtree(folder, ignore_errors=True)
    import psycopg

    parts = urlsplit(url)
    name = (parts.path.lstrip("/") or "portal") + "_bench_sp"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit(parts._replace(path=f"/{name}")), drop


SEED = """
import random
from subprocessors.listing.models import Subprocessor
from subprocessors.listing.services import subprocessor_create
categories = [c.value for c in Subprocessor.Category]
countries = ["NL", "FR", "DE", "IE", "SE", "US", "LU", "EU"]
rnd = random.Random(7)
for i in range({rows}):
    hq = rnd.choice(countries[:-1])
    subprocessor_create(
        data=dict(
            name=f"Provider {{i:03}}", slug=f"provider-{{i:03}}", legal_entity=f"Provider {{i:03}} B.V.",
            category=categories[i % 3], purpose="AI model processing, inference and embeddings",
            processes_customer_data=i % 3 != 2, customer_data_note="May process API traffic transiently.",
            location="EU/EEA configurations only", hq_country=hq, processing_region=rnd.choice(["EU", hq]),
            eea_only=rnd.random() < 0.8, retains_prompts=rnd.random() < 0.1, trains_on_data=rnd.random() < 0.05,
            website=f"https://provider{{i:03}}.example", status="active",
        ),
        actor=None, authorised_by="benchmark data",
    )
print(Subprocessor.objects.count())
"""


def manage(env: dict, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True
    )
    if result.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:  # loopback only
        return response.read()


def load(url: str, *, requests: int, concurrency: int) -> dict:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(requests))
    deadline = time.monotonic() + TIME_LIMIT_SECONDS

    def worker():
        nonlocal errors
        while time.monotonic() < deadline:
            with lock:
                if next(counter, None) is None:
                    return
            start = time.perf_counter()
            try:
                fetch(url)
            except Exception:  # noqa: BLE001 - counted and reported
                with lock:
                    errors += 1
                continue
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [latencies[0]] * 99
    return {"n": len(latencies), "errors": errors, "rps": len(latencies) / wall, "p50": q[49], "p99": q[98]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEBUG", "CELERY_TASK_ALWAYS_EAGER", "SECURE_SSL_REDIRECT", "DATABASE_URL")
    }
    database_url, drop_database = bench_database(env)
    env.update(
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY="bench-" + "x" * 60,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        API_ANON_RATE="100000000/min",  # the benchmark measures serving, not the per-IP throttle
        LOG_LEVEL="WARNING",
    )
    static_file = ROOT / "staticfiles" / STATIC_NAME
    server = None
    try:
        manage(env, "migrate", "--noinput")
        count = manage(env, "shell", stdin=SEED.format(rows=ROWS)).strip().splitlines()[-1]
        manage(env, "collectstatic", "--noinput")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        # The page's size decides the static file's; measure it through a short-lived first server.
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "portal.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", str(args.workers), "--log-level", "warning"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        for _ in range(100):
            try:
                page = fetch(base + "/subprocessors/")
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit("gunicorn did not start")
        api_body = fetch(base + "/api/v1/subprocessors/?page_size=200")
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        # WhiteNoise indexes STATIC_ROOT at start-up: write the file first, then start the measured server.
        static_file.write_bytes(bytes(random.Random(1).choice(b"abcdefghij \n") for _ in range(len(page))))
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "portal.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", str(args.workers), "--log-level", "warning"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        for _ in range(100):
            try:
                fetch(f"{base}/static/{STATIC_NAME}")
                break
            except OSError:
                time.sleep(0.2)
        targets = [
            ("page /subprocessors/", base + "/subprocessors/"),
            ("api /api/v1/subprocessors/?page_size=200", base + "/api/v1/subprocessors/?page_size=200"),
            (f"static file ({len(page):,} B)", f"{base}/static/{STATIC_NAME}"),
        ]
        for _, url in targets:  # warm caches and connections
            for _ in range(20):
                fetch(url)
        results = {name: load(url, requests=args.requests, concurrency=args.concurrency) for name, url in targets}
        static = results[targets[2][0]]
        print(
            f"{count} active rows; page {len(page):,} B, API page of 200 rows {len(api_body):,} B; gunicorn "
            f"{args.workers} sync workers; {args.concurrency} concurrent clients, {args.requests} requests each"
        )
        print(f"{'target':45} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}  vs static (req/s, p50)")
        for name, r in results.items():
            ratio = f"{r['rps'] / static['rps']:.2f}x, {r['p50'] / static['p50']:.1f}x"
            print(f"{name:45} {r['rps']:9.0f} {r['p50'] * 1000:8.1f} {r['p99'] * 1000:8.1f} {r['errors']:6}  {ratio}")
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        static_file.unlink(missing_ok=True)
        drop_database()


if __name__ == "__main__":
    main()
