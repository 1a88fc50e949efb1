"""NDA stamping speed: milliseconds per stamped download and per page, and how it grows with page count.

Run by `make bench`; prints figures and ratios only (no assertions). Needs no database: the settings point at the
benchmarks' scratch database name (never the test suite's), which this script never connects to."""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h  # noqa: E402


def timed(fn, repeat):
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def main():
    from portal.trust.stamping import sample_pdf, stamp_pdf  # noqa: PLC0415

    text = "Confidential under NDA - downloaded by reader@example.com on 2026-11-23"
    first = None
    for pages in (1, 10, 50, 200):
        data = sample_pdf([f"line {n}" for n in range(40)], pages=pages)
        stamp = timed(lambda d=data: stamp_pdf(d, text), 3)
        first = first or stamp
        print(
            f"{pages:3} pages, {len(data) / 1024:7.1f} KiB: {stamp * 1000:7.1f} ms per download, "
            f"{stamp / pages * 1000:5.2f} ms/page, {stamp / first:5.1f}x the 1-page time"
        )


def run() -> None:
    with h.workdir("stamp") as wd:
        h.setup_django(h.production_env(database=h.database_url(), redis="", workdir=wd))
        main()


if __name__ == "__main__":
    h.run(run)
