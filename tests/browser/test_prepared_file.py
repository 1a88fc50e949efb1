"""A visitor asks for the sub-processor snapshot before a worker rendered it: the "being prepared" page waits
quietly (no timed reload), then hands over the PDF once the worker is done."""

import pytest

from tests.listing.factories import make_subprocessor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_snapshot_page_waits_for_the_worker_then_serves_the_pdf(live_server, page, screenshot, axe, monkeypatch):
    from portal.evidence import enqueue
    from portal.evidence.models import PreparedFile
    from subprocessors.listing.tasks import snapshot_pdf_task

    held: list[int] = []
    monkeypatch.setattr(enqueue, "prepared_file_render", lambda job: held.append(job.pk) or True)
    make_subprocessor(name="Alpha AI")
    # when a visitor opens the snapshot link while no worker has rendered it
    page.goto(f"{live_server.url}/subprocessors/snapshot.pdf")
    assert page.get_by_role("heading", name="Your PDF is being prepared").is_visible()
    assert page.get_by_role("link", name="Refresh").is_visible()
    screenshot("snapshot-being-prepared")
    assert axe("Snapshot PDF being prepared") == []
    assert len(held) == 1

    # then once the worker has rendered it, the page's background check sees it and the PDF is served
    def is_the_pdf(response) -> bool:
        return response.request.method == "GET" and response.headers.get("content-type") == "application/pdf"

    with page.expect_response(is_the_pdf, timeout=15_000) as served:
        snapshot_pdf_task(held[0])
        assert PreparedFile.objects.get(pk=held[0]).status == PreparedFile.Status.READY
    assert served.value.status == 200
