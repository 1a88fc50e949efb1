"""The sub-processor list's PDF snapshot: render time by page count, and the 2,400-row snapshot through gunicorn.

1. Render time at about 5, 50 and 250 pages (BENCH_PDF_PAGES): the row counts that give those pages are found by
   rendering two small lists first (rows per page), then the list grows to each size and the snapshot is rendered
   by the code the worker's render task uses (exports.list_pdf). Printed: rows, pages, seconds, ms per page.
2. Through the public URL: gunicorn as in production (3 sync workers, 60 s timeout) and a Celery worker (-c2), the
   list at BENCH_PDF_HTTP_ROWS (2,400) rows and its cache emptied (as after any edit of the list), then
   /subprocessors/snapshot.pdf is polled until it answers `Content-Type: application/pdf` (a "being prepared" page
   or a 202 first is fine). Meanwhile another client reads the list page one request after another, so the
   figures show whether a long render makes other visitors fail or wait. Printed: seconds until the PDF, the
   answers seen, failed requests (5xx, timeouts, refused connections) and the list page's worst latency.

Production settings, scratch database (BENCH_DATABASE_URL), Redis BENCH_REDIS_URL (db 12).
"""

from __future__ import annotations

import io
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h  # noqa: E402


def render() -> bytes:
    """The snapshot as the worker's render task makes it (exports.list_pdf; nothing of it is cached)."""
    from subprocessors.listing import exports  # noqa: PLC0415

    return exports.list_pdf()


def page_count(data: bytes) -> int:
    from pypdf import PdfReader  # noqa: PLC0415

    return len(PdfReader(io.BytesIO(data)).pages)


def timed_render(repeat: int) -> tuple[float, int, int]:
    best, data = float("inf"), b""
    for _ in range(repeat):
        started = time.perf_counter()
        data = render()
        best = min(best, time.perf_counter() - started)
    return best, page_count(data), len(data)


def rows_for(target: int, points: list[tuple[int, int]]) -> int:
    """Rows that give about `target` pages, by the straight line through the smallest and the latest render."""
    (r0, p0), (r1, p1) = points[0], points[-1]
    per_page = (r1 - r0) / max(p1 - p0, 1)
    return max(1, round(r0 + (target - p0) * per_page))


def calibrate(smallest_target: int) -> list[tuple[int, int]]:
    """Two small renders: (rows, pages) points from which the row count of each target is found."""
    points = []
    for rows in (10, max(20, smallest_target * 4)):
        count = h.seed_subprocessors(rows)
        points.append((count, page_count(render())))
    return points


def bump_list_version() -> None:
    from django.core.cache import cache  # noqa: PLC0415

    from subprocessors.listing.cache import VERSION_KEY  # noqa: PLC0415

    cache.set(VERSION_KEY, uuid.uuid4().hex, None)


class Reader(threading.Thread):
    """Reads the list page one request after another until stopped, counting failures and the worst latency."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.stop = url, threading.Event()
        self.count = self.failed = 0
        self.worst = 0.0

    def run(self) -> None:
        while not self.stop.is_set():
            started = time.perf_counter()
            try:
                ok = h.http_get(self.url, timeout=120).status == 200
            except OSError:
                ok = False
            self.worst = max(self.worst, time.perf_counter() - started)
            self.count += 1
            self.failed += not ok


def fetch_through_gunicorn(env: dict, children: h.Children, timeout: float, max_failures: int) -> dict:
    port = h.free_port()
    base = f"http://127.0.0.1:{port}"
    server = children.start("gunicorn", h.gunicorn_args(port), env)
    worker = children.start("worker", h.celery_worker_args(2), {k: v for k, v in env.items() if "PROMETHEUS" not in k})
    h.wait_http(base + "/subprocessors/", proc=server)
    h.wait_for_worker(worker)
    reader = Reader(base + "/subprocessors/")
    bump_list_version()
    answers: dict[str, int] = {}
    failed, polls, pages, size, seconds = 0, 0, 0, 0, None
    started = time.perf_counter()
    reader.start()
    try:
        # Gives up after a few failed requests: a render longer than gunicorn's timeout fails every time.
        while failed < max_failures and time.perf_counter() - started < timeout:
            polls += 1
            try:
                response = h.http_get(base + "/subprocessors/snapshot.pdf", timeout=timeout)
            except OSError as exc:
                failed += 1
                answers[type(exc).__name__] = answers.get(type(exc).__name__, 0) + 1
                time.sleep(0.5)
                continue
            label = f"{response.status} {response.content_type.split(';')[0]}"
            answers[label] = answers.get(label, 0) + 1
            failed += response.status >= 500
            if response.status == 200 and response.content_type.startswith("application/pdf"):
                seconds = time.perf_counter() - started
                pages, size = page_count(response.body), len(response.body)
                break
            time.sleep(0.5)
    finally:
        reader.stop.set()
        reader.join(130)
    return {
        "seconds": seconds,
        "polls": polls,
        "answers": answers,
        "failed": failed,
        "waited": time.perf_counter() - started,
        "pages": pages,
        "bytes": size,
        "reader_requests": reader.count,
        "reader_failed": reader.failed,
        "reader_worst_ms": reader.worst * 1000,
    }


def through_gunicorn(env: dict, wd: Path, children: h.Children, rows: int, timeout: float, max_failures: int) -> dict:
    """The list at `rows` rows (when it is shorter), then its snapshot fetched through gunicorn."""
    count = h.seed_subprocessors(rows)
    web_env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(wd / "metrics")}
    return {"rows": count, **fetch_through_gunicorn(web_env, children, timeout, max_failures)}


def main() -> None:
    targets = sorted(h.env_ints("BENCH_PDF_PAGES", "5,50,250"))
    http_rows = h.env_int("BENCH_PDF_HTTP_ROWS", 2_400)
    timeout = h.env_int("BENCH_PDF_TIMEOUT", 600)
    max_failures = h.env_int("BENCH_PDF_MAX_FAILURES", 3)
    database = h.database_url()
    redis = h.redis_url("BENCH_REDIS_URL", h.DEFAULT_REDIS_URL)
    print(f"machine: {h.machine()}")
    renders, served = [], None
    with h.workdir("pdf") as wd, h.scratch_database(database), h.Children(wd) as children:
        env = h.production_env(database=database, redis=redis, workdir=wd, CELERY_TASK_ALWAYS_EAGER="0")
        h.redis_flush(redis)
        try:
            h.setup_django(env)
            h.migrate()
            from django.core.management import call_command  # noqa: PLC0415

            call_command("collectstatic", "--noinput", verbosity=0)  # gunicorn's WhiteNoise needs the manifest
            points = calibrate(targets[0])
            for target in targets:
                want = max(rows_for(target, points), points[-1][0])
                if served is None and want >= http_rows:  # the list only grows: fetch at exactly http_rows first
                    served = through_gunicorn(env, wd, children, http_rows, timeout, max_failures)
                count = h.seed_subprocessors(want)
                seconds, pages, size = timed_render(3 if target <= 50 else 1)
                points.append((count, pages))
                renders.append({"rows": count, "pages": pages, "seconds": seconds, "bytes": size, "target": target})
            if served is None:
                served = through_gunicorn(env, wd, children, http_rows, timeout, max_failures)
        finally:
            h.redis_flush(redis)
    print("\nrender time (exports.list_pdf, as the worker renders it; best of 3 up to 50 pages)")
    h.print_table(
        ["rows", "pages", "KiB", "seconds", "ms/page", "vs smallest (ms/page)"],
        [
            [
                f"{r['rows']:,}",
                r["pages"],
                f"{r['bytes'] / 1024:,.0f}",
                f"{r['seconds']:.2f}",
                f"{r['seconds'] / r['pages'] * 1000:.0f}",
                f"{(r['seconds'] / r['pages']) / (renders[0]['seconds'] / renders[0]['pages']):.2f}x",
            ]
            for r in renders
        ],
    )
    if served:
        s = served
        outcome = (
            f"PDF ({s['pages']} pages, {s['bytes'] / 1024:,.0f} KiB) served after {s['seconds']:.1f} s"
            if s["seconds"] is not None
            else f"NO PDF: gave up after {s['waited']:.0f} s"
        )
        print(
            f"\nthrough gunicorn, {s['rows']:,} rows: {outcome}; {s['polls']} request(s) {s['answers']}; "
            f"failed requests: {s['failed']}"
        )
        print(
            f"meanwhile the list page: {s['reader_requests']} requests, {s['reader_failed']} failed, worst "
            f"{s['reader_worst_ms']:.0f} ms"
        )
    h.dump_json("pdf", {"machine": h.machine(), "renders": renders, "served": served})


if __name__ == "__main__":
    h.run(main)
