"""The public snapshot PDF is rendered by a worker, never in the request: how long the request takes when the file
is not ready (it enqueues and answers "being prepared"), how long the worker's render takes with 2,400 rows, how
long serving the stored file takes, and WeasyPrint's time per page at a few list sizes.

Runs against a throw-away SQLite database and a temporary storage directory, so it needs no services; the broker is
replaced by a list (the request's enqueue is recorded) and the task is run here, as a worker would run it.
Usage: `make bench` or `python bench/snapshot_pdf.py [--rows 2400]`.
"""

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
_tmp = tempfile.mkdtemp(prefix="bench-snapshot-")
os.environ["DATABASE_URL"] = f"sqlite:///{_tmp}/bench.sqlite3"
os.environ["PRIVATE_STORAGE_ROOT"] = f"{_tmp}/private"
os.environ.pop("REDIS_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from pypdf import PdfReader  # noqa: E402

URL = "/subprocessors/snapshot.pdf"
SIZES = (5, 50, 250)


def seed(upto: int, start: int) -> None:
    from subprocessors.listing.services import subprocessor_create

    for i in range(start, upto):
        subprocessor_create(
            data={
                "name": f"Provider {i:04}",
                "slug": f"provider-{i:04}",
                "legal_entity": f"Provider {i:04} B.V.",
                "category": ("customer_data", "ai_provider", "controller_data")[i % 3],
                "purpose": "AI model processing, inference and embeddings",
                "processes_customer_data": i % 3 != 2,
                "customer_data_note": "May process API traffic transiently.",
                "location": "EU/EEA configurations only",
                "hq_country": "NL",
                "processing_region": "EU",
                "eea_only": True,
                "website": f"https://provider{i:04}.example",
                "status": "active",
            },
            actor=None,
            authorised_by="benchmark data",
        )


def render_once() -> tuple[float, int]:
    from subprocessors.listing.exports import list_pdf

    started = time.perf_counter()
    content = list_pdf()
    return time.perf_counter() - started, len(PdfReader(io.BytesIO(content)).pages)


def timed_get(client: Client) -> tuple[float, object]:
    started = time.perf_counter()
    response = client.get(URL, secure=True, HTTP_HOST="localhost")
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)
    return time.perf_counter() - started, response


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2400)
    rows = parser.parse_args().rows
    setup_test_environment()
    call_command("migrate", verbosity=0)

    from portal.evidence import enqueue
    from portal.evidence.models import PreparedFile
    from subprocessors.listing.tasks import snapshot_pdf_task

    seed(1, 0)
    render_once()  # WeasyPrint's first render loads fonts and its CSS: not counted
    print("WeasyPrint time per page (the worker's render):")
    seeded = 1
    for size in SIZES:
        seed(size, seeded)
        seeded = size
        seconds, pages = render_once()
        print(f"  {size:>5} rows: {pages:>4} pages in {seconds:6.2f} s = {1000 * seconds / pages:5.0f} ms/page")
    seed(rows, seeded)

    sent: list[int] = []
    enqueue.task = lambda name: type("Broker", (), {"delay": staticmethod(sent.append)})  # the request's enqueue
    client = Client()
    client.get("/", secure=True, HTTP_HOST="localhost")  # the process's first request loads middleware and templates
    first_s, first = timed_get(client)
    again_s, again = timed_get(client)
    assert first.status_code == again.status_code == 202, (first.status_code, again.status_code)
    assert len(sent) == 1, sent
    started = time.perf_counter()
    snapshot_pdf_task(sent[0])
    task_s = time.perf_counter() - started
    job = PreparedFile.objects.get(pk=sent[0])
    served_s, served = timed_get(client)
    assert served.status_code == 200, served.status_code
    pages = len(PdfReader(io.BytesIO(Path(_tmp, "private", job.path).read_bytes())).pages)
    print(f"snapshot of {rows} rows ({pages} pages, {job.size / 1024:.0f} KiB):")
    print(f"  request before the render (creates the row, enqueues): {1000 * first_s:7.1f} ms -> 202")
    print(f"  request while it is being prepared:                    {1000 * again_s:7.1f} ms -> 202")
    print(f"  worker task (render + store):                          {task_s:7.1f} s  (render_ms {job.render_ms})")
    print(f"  request once ready (stored file, hash checked):        {1000 * served_s:7.1f} ms -> 200")


if __name__ == "__main__":
    main()
