"""Render time of the demo DPA with WeasyPrint: cold (rendered) and cached (served from storage), page count.

Runs against a throw-away SQLite database and a temporary storage directory, so it needs no services.
"""

import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
_tmp = tempfile.mkdtemp(prefix="bench-pdf-")
os.environ["DATABASE_URL"] = f"sqlite:///{_tmp}/bench.sqlite3"
os.environ["PRIVATE_STORAGE_ROOT"] = f"{_tmp}/private"
os.environ.pop("REDIS_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

import datetime as dt  # noqa: E402

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from pypdf import PdfReader  # noqa: E402


def main() -> None:
    call_command("migrate", verbosity=0)
    from dpa.versions import pdf as versions_pdf
    from dpa.versions import sample_dpa
    from dpa.versions.models import DpaVersion

    version = DpaVersion.objects.create(
        label="bench",
        title="Data Processing Agreement",
        body=sample_dpa.body("current", settings.PORTAL_PROCESSOR_NAME),
        change_summary="Benchmark",
        effective_date=dt.date(2026, 1, 1),
    )
    runs = 3
    cold = []
    for i in range(runs):
        started = time.perf_counter()
        stored = versions_pdf.version_pdf(version, watermark=f"Informational copy — run {i}")
        content = stored.read()
        cold.append(time.perf_counter() - started)
        assert not stored.cached
    cached = []
    for _ in range(20):
        started = time.perf_counter()
        stored = versions_pdf.version_pdf(version, watermark="Informational copy — run 0")
        stored.read()
        cached.append(time.perf_counter() - started)
        assert stored.cached
    pages = len(PdfReader(io.BytesIO(content)).pages)
    cold_ms = 1000 * min(cold)
    cached_ms = 1000 * sorted(cached)[len(cached) // 2]
    print(f"demo DPA: {pages} pages, {len(content) / 1024:.0f} KiB")
    print(f"cold render (best of {runs}): {cold_ms:.0f} ms")
    print(f"cached (median of {len(cached)}): {cached_ms:.1f} ms")
    print(f"cached is {cold_ms / cached_ms:.0f}x faster than rendering")


if __name__ == "__main__":
    main()
