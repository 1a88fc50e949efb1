"""The public sub-processor pages under load, served the way production serves them, beside a static file.

gunicorn as the image starts it (docker/entrypoint.sh: 3 sync workers, docker/gunicorn.conf.py, production
settings with DEBUG unset, Redis as the cache, WhiteNoise for static files, request logging on), a scratch
PostgreSQL database with the demo data and BENCH_ROWS active sub-processors, and `wrk` as the client.

The reference is a static file of the same size as the list page, copied into STATIC_ROOT before gunicorn starts
(WhiteNoise serves it from memory-mapped files: the fastest answer this server gives). Targets run in interleaved
rounds (static, anonymous list, signed-in list, API, cache-miss list, feed, CSV in every round), and each target's
figure is divided by the static file's of the same round, so a noisy neighbour or a CPU that changes its clock
moves both sides of a ratio alike. The ratio printed is the median over the rounds.

- anonymous list: /subprocessors/ without a cookie (the whole page comes from the cache);
- signed-in list: the same page with the session cookie of a demo customer (created here through Django), so the
  layout is rendered per request around the cached list body;
- API: /api/v1/subprocessors/ (first page; the anonymous throttle is raised so that it measures serving);
- cache-miss list: every request carries its own search term (?q=<unique>), so the page cache never answers: a
  database query and a render per request. No row matches such a term, so the body is the short "nothing found"
  list; the price of rendering every row on a miss is the separate "full miss" line: one request at a time after
  bumping the list version (what any edit of the list does), median of BENCH_FULL_MISSES (20) requests;
- feed: /subprocessors/feed/; CSV: /subprocessors/export.csv.

Environment: BENCH_ROWS (23, the demo's size; several sizes separated by commas, e.g. 23,2400), BENCH_ROUNDS (3),
BENCH_WRK_DURATION (5 s), BENCH_WRK_THREADS (2), BENCH_WRK_CONNECTIONS (8), BENCH_DATABASE_URL, BENCH_REDIS_URL
(db 12). Targets (informational, exit status 0 either way): anonymous >= 0.8x, signed-in >= 0.4x, API >= 0.6x.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h  # noqa: E402

LUA = Path(__file__).resolve().parent / "wrk_report.lua"
SIGNED_IN_EMAIL = "ben@acme-health.example"  # the demo's customer (member of Acme Health B.V.)
TARGETS = {"anonymous list": 0.8, "signed-in list": 0.4, "API": 0.6}


class Target:
    def __init__(self, name: str, path: str, *, cookie: str = "", unique: bool = False, check: str = ""):
        self.name, self.path, self.cookie, self.unique, self.check = name, path, cookie, unique, check
        self.runs: list[dict] = []
        self.size = 0


def wrk(base: str, target: Target, *, duration: int, threads: int, connections: int, tag: str) -> dict:
    args = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "30s",
        "-s", str(LUA), "-H", "X-Forwarded-Proto: https",
    ]  # fmt: skip
    if target.cookie:
        args += ["-H", f"Cookie: {target.cookie}"]
    args.append(base + target.path)
    if target.unique:
        args += ["--", "unique", tag]
    result = subprocess.run(args, capture_output=True, text=True, timeout=duration + 60, check=False)
    line = next((x for x in result.stdout.splitlines() if x.startswith("WRK_RESULT ")), None)
    if result.returncode or line is None:
        raise h.BenchError(f"wrk failed on {target.path}: {result.stderr.strip() or result.stdout[-500:]}")
    data = json.loads(line.removeprefix("WRK_RESULT "))
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    data["errors"] = sum(v for k, v in data.items() if k.startswith("errors_"))
    return data


def signed_in_cookie() -> str:
    """A real session of the demo customer, as after signing in (verified email; customers need no MFA)."""
    from django.conf import settings  # noqa: PLC0415
    from django.contrib.auth import get_user_model  # noqa: PLC0415
    from django.test import Client  # noqa: PLC0415

    user = get_user_model().objects.get(email=SIGNED_IN_EMAIL)
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def page_bytes(path: str) -> bytes:
    """The list page as anonymous visitors get it, rendered in this process (same code, settings and cache)."""
    from django.test import Client  # noqa: PLC0415

    response = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https").get(path)
    if response.status_code != 200:
        raise h.BenchError(f"{path} answered {response.status_code} in-process")
    return response.content


def bump_list_version() -> None:
    """What every edit of the list does on commit (subprocessors.listing.cache): all cached renderings are stale."""
    from django.core.cache import cache  # noqa: PLC0415

    from subprocessors.listing.cache import VERSION_KEY  # noqa: PLC0415

    cache.set(VERSION_KEY, uuid.uuid4().hex, None)


def full_misses(base: str, samples: int) -> list[float]:
    times = []
    for _ in range(samples):
        bump_list_version()
        started = time.perf_counter()
        response = h.http_get(base + "/subprocessors/")
        times.append(time.perf_counter() - started)
        if response.status != 200:
            raise h.BenchError(f"/subprocessors/ answered {response.status} after a version bump")
    return times


def check_target(base: str, target: Target) -> None:
    headers = {"Cookie": target.cookie} if target.cookie else {}
    path = target.path + ("?q=bench-check" if target.unique else "")
    response = h.http_get(base + path, headers=headers)
    if response.status != 200:
        raise h.BenchError(f"{path} answered {response.status}, not 200: {response.body[:300]!r}")
    if target.check and target.check.encode() not in response.body:
        raise h.BenchError(f"{path} does not contain {target.check!r}: is the session signed in?")
    target.size = len(response.body)


def run_size(rows: int, *, env: dict, workdir: Path, children: h.Children, cookie: str, settings: dict) -> dict:
    from django.conf import settings as django_settings  # noqa: PLC0415

    page = page_bytes("/subprocessors/")
    static_name = f"bench-same-size-as-list-{rows}.html"
    static_path = Path(django_settings.STATIC_ROOT) / static_name
    static_path.write_bytes(page)  # before gunicorn starts: WhiteNoise indexes STATIC_ROOT at start-up
    targets = [
        Target(f"static file ({len(page):,} B)", f"/static/{static_name}"),
        Target("anonymous list", "/subprocessors/"),
        Target("signed-in list", "/subprocessors/", cookie=cookie, check=SIGNED_IN_EMAIL),
        Target("API", "/api/v1/subprocessors/"),
        Target("cache-miss list (?q=unique)", "/subprocessors/", unique=True),
        Target("feed", "/subprocessors/feed/"),
        Target("CSV", "/subprocessors/export.csv"),
    ]
    port = h.free_port()
    base = f"http://127.0.0.1:{port}"
    server = children.start(f"gunicorn-{rows}", h.gunicorn_args(port), env)
    try:
        h.wait_http(f"{base}/static/{static_name}", proc=server)
        for target in targets:
            check_target(base, target)
        load = {k: settings[k] for k in ("duration", "threads", "connections")}
        for target in targets:  # warm-up: connections, caches, each worker's first request
            wrk(base, target, tag=f"warm{uuid.uuid4().hex[:6]}", **{**load, "duration": 1})
        for n in range(settings["rounds"]):
            for target in targets:
                target.runs.append(wrk(base, target, tag=f"r{n}{uuid.uuid4().hex[:8]}", **load))
        misses = full_misses(base, h.env_int("BENCH_FULL_MISSES", 20))
    finally:
        children.stop(server)
        static_path.unlink(missing_ok=True)
    if server.returncode not in (0, None, -15):
        print(children.log_tail(f"gunicorn-{rows}"), file=sys.stderr)
    return report(rows, targets, misses, settings)


def report(rows: int, targets: list[Target], misses: list[float], settings: dict) -> dict:
    static = targets[0]
    print(
        f"\n{rows:,} active sub-processors; list page {static.size:,} B; gunicorn 3 sync workers; wrk "
        f"-t{settings['threads']} -c{settings['connections']} -d{settings['duration']}s, "
        f"{settings['rounds']} interleaved rounds"
    )
    table, figures = [], {}
    for target in targets:
        ratios = [run["rps"] / s["rps"] for run, s in zip(target.runs, static.runs, strict=True)]
        ratio = h.median(ratios)
        goal = TARGETS.get(target.name)
        figures[target.name] = {
            "bytes": target.size,
            "rps": h.median([r["rps"] for r in target.runs]),
            "p50_ms": h.median([r["p50_us"] / 1000 for r in target.runs]),
            "p99_ms": h.median([r["p99_us"] / 1000 for r in target.runs]),
            "errors": sum(r["errors"] for r in target.runs),
            "ratio": ratio,
            "ratios": ratios,
        }
        f = figures[target.name]
        table.append(
            [
                target.name,
                f"{target.size:,}",
                f"{f['rps']:,.0f}",
                f"{f['p50_ms']:.1f}",
                f"{f['p99_ms']:.1f}",
                f["errors"],
                "1.00x" if target is static else f"{ratio:.2f}x",
                f">= {goal}x {h.verdict(ratio, goal)}" if goal else "",
            ]
        )
    h.print_table(["target", "bytes", "req/s", "p50 ms", "p99 ms", "errors", "vs static", "target"], table)
    full = h.median(misses) * 1000
    print(
        f"full miss (list version bumped, one request at a time, median of {len(misses)}): {full:.0f} ms "
        f"(min {min(misses) * 1000:.0f}, max {max(misses) * 1000:.0f})"
    )
    return {"rows": rows, "targets": figures, "full_miss_ms": full}


def main() -> None:
    if not shutil.which("wrk"):
        raise h.BenchError("wrk is not installed (`make bench` installs it: apt-get install -y wrk)")
    sizes = h.env_ints("BENCH_ROWS", "23")
    settings = {
        "rounds": h.env_int("BENCH_ROUNDS", 3),
        "duration": h.env_int("BENCH_WRK_DURATION", 5),
        "threads": h.env_int("BENCH_WRK_THREADS", 2),
        "connections": h.env_int("BENCH_WRK_CONNECTIONS", 8),
    }
    database = h.database_url()
    redis = h.redis_url("BENCH_REDIS_URL", h.DEFAULT_REDIS_URL)
    print(f"machine: {h.machine()}")
    results = []
    with h.workdir("public") as wd, h.scratch_database(database), h.Children(wd) as children:
        env = h.production_env(
            database=database,
            redis=redis,
            workdir=wd,
            # The per-address API throttle (120/min) would answer 429s: raised so the API measures serving.
            API_ANON_RATE="100000000/min",
        )
        h.redis_flush(redis)
        try:
            h.setup_django(env)
            # Only gunicorn keeps its metrics in files (entrypoint.sh's web role); this process must not.
            env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(wd / "metrics")}
            h.migrate()
            h.load_demo(wd)
            from django.core.management import call_command  # noqa: PLC0415

            call_command("collectstatic", "--noinput", verbosity=0)
            cookie = signed_in_cookie()
            for rows in sorted(sizes):
                count = h.seed_subprocessors(rows)
                results.append(
                    run_size(count, env=env, workdir=wd, children=children, cookie=cookie, settings=settings)
                )
        finally:
            h.redis_flush(redis)
    h.dump_json("public_page", {"machine": h.machine(), "settings": settings, "results": results})
    os.environ.pop("DJANGO_SETTINGS_MODULE", None)


if __name__ == "__main__":
    h.run(main)
