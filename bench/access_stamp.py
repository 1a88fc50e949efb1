"""NDA stamping speed: milliseconds per stamped download and per page, and how it grows with page count.

Run by `make bench`; prints figures and ratios only (no assertions)."""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from portal.trust.stamping import sample_pdf, stamp_pdf  # noqa: E402


def timed(fn, repeat):
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def main():
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


if __name__ == "__main__":
    main()
