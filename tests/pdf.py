"""Reading the PDFs the portal renders, for assertions."""

import io

from pypdf import PdfReader


def pdf_page_count(content: bytes) -> int:
    return len(PdfReader(io.BytesIO(content)).pages)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


def get_prepared(client, url: str, capture, **kwargs):
    """GET a download served as a prepared file, as a browser would end up with it: the first answer is "being
    prepared" (202; the render task is enqueued on commit, which the test's transaction only runs inside
    `capture`, i.e. `django_capture_on_commit_callbacks(execute=True)`, with eager Celery), the next one is the
    file (or the failure page). Any other first answer (a redirect, 403, 404…) is returned as it is."""
    with capture(execute=True):
        first = client.get(url, **kwargs)
    if first.status_code != 202:
        return first
    return client.get(url, **kwargs)
