import csv
import datetime as dt
import hashlib
import io

import feedparser
import pytest
import time_machine
from pypdf import PdfReader

from subprocessors.listing.demo import load_demo
from subprocessors.listing.exports import list_pdf_html
from subprocessors.listing.models import Subprocessor
from subprocessors.listing.serializers import PUBLIC_FIELDS
from subprocessors.listing.services import subprocessor_update
from tests.listing.factories import SubprocessorFactory, make_subprocessor
from tests.pdf import get_prepared

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"


def read_csv(response) -> list[dict]:
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_feed_is_valid_atom_with_changes(client, legal):
    # given
    sp = make_subprocessor(name="Alpha AI", at=dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC))
    subprocessor_update(
        subprocessor=sp, data={"purpose": "Inference"}, actor=legal, at=dt.datetime(2026, 2, 3, 10, tzinfo=dt.UTC)
    )
    SubprocessorFactory(name="Hidden", status="proposed")
    # when
    response = client.get("/subprocessors/feed/")
    # then
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    assert feed.feed.title == "Routewise B.V. sub-processor list changes"
    assert [link.href for link in feed.feed.links if link.rel == "self"] == ["http://testserver/subprocessors/feed/"]
    titles = [e.title for e in feed.entries]
    assert titles == ["Changed: Alpha AI", "Added: Alpha AI"]
    assert "Purpose: AI model processing → Inference" in feed.entries[0].summary
    assert feed.entries[0].link.startswith("http://testserver/subprocessors/history/#change-")
    assert feed.entries[0].updated.startswith("2026-02-03")
    assert len({e.id for e in feed.entries}) == 2


def test_page_advertises_the_feed(client, db):
    html = client.get("/subprocessors/").content.decode()
    assert '<link rel="alternate" type="application/atom+xml"' in html
    assert 'href="/subprocessors/feed/"' in html


def test_feed_escapes_names(client, db):
    make_subprocessor(name=XSS, purpose=XSS)
    response = client.get("/subprocessors/feed/")
    raw = response.content.decode()
    assert "<script>" not in raw
    feed = feedparser.parse(response.content)
    assert not feed.bozo
    assert feed.entries[0].title == f"Added: {XSS}"
    # the summary is HTML for readers: the name is shown as text, never run as a tag
    assert "&lt;script&gt;" in feed.entries[0].summary


def test_feed_is_cached_and_invalidated(client, db, django_capture_on_commit_callbacks, django_assert_max_num_queries):
    sp = make_subprocessor(name="One")
    client.get("/subprocessors/feed/")
    with django_assert_max_num_queries(0):
        client.get("/subprocessors/feed/")
    with django_capture_on_commit_callbacks(execute=True):
        subprocessor_update(subprocessor=sp, data={"name": "Two"}, actor=None)
    assert "Two" in client.get("/subprocessors/feed/").content.decode()


def test_csv_columns_and_rows(client, db):
    load_demo()
    response = client.get("/subprocessors/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="subprocessors-')
    rows = read_csv(response)
    assert list(rows[0]) == list(PUBLIC_FIELDS)
    assert len(rows) == 23
    mistral = next(r for r in rows if r["slug"] == "mistral-ai")
    assert mistral["hq_country"] == "FR"
    assert mistral["eea_only"] == "true"
    assert mistral["retired_on"] == ""


def test_csv_follows_the_page_filters(client, db):
    load_demo()
    rows = read_csv(client.get("/subprocessors/export.csv?category=ai_provider&country=US"))
    assert sorted(r["slug"] for r in rows) == ["aws-bedrock", "microsoft-foundry"]
    bad = client.get("/subprocessors/export.csv?country=XX")
    assert bad.status_code == 400
    assert "two-letter ISO code" in bad.content.decode()


@pytest.mark.parametrize("payload", ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "|pipe"])
def test_csv_neutralises_formula_injection(client, db, payload):
    row = make_subprocessor(name="Placeholder", purpose="Placeholder")
    # Written past the service: full_clean refuses control characters now, but rows stored before may hold them.
    Subprocessor.objects.filter(pk=row.pk).update(name=payload, purpose=payload)
    row = read_csv(client.get("/subprocessors/export.csv"))[0]
    assert row["name"] == "'" + payload
    assert row["purpose"] == "'" + payload


def test_pdf_is_a_pdf_naming_every_active_row(client, db, django_capture_on_commit_callbacks):
    load_demo()
    retired = make_subprocessor(slug="gone", name="Retired Provider")
    subprocessor_update(subprocessor=retired, data={"status": "retired"}, actor=None)
    with time_machine.travel(dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC), tick=False):
        response = get_prepared(client, "/subprocessors/snapshot.pdf", django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="subprocessors-2026-06-01.pdf"'
    content = b"".join(response.streaming_content)
    assert content.startswith(b"%PDF-")
    assert response["ETag"] == f'"{hashlib.sha256(content).hexdigest()}"'
    text = pdf_text(content)
    compact = "".join(text.split())  # table cells wrap long names over lines
    for name in Subprocessor.objects.filter(status="active").values_list("name", flat=True):
        assert "".join(name.split()) in compact, name
    assert "RetiredProvider" not in compact
    assert "as of 1 June 2026" in text
    assert "Page 1 of 3" in text


def test_pdf_shows_markup_as_text(client, db, django_capture_on_commit_callbacks):
    make_subprocessor(name=XSS)
    html = list_pdf_html()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    response = get_prepared(client, "/subprocessors/snapshot.pdf", django_capture_on_commit_callbacks)
    assert "".join(XSS.split()) in "".join(pdf_text(b"".join(response.streaming_content)).split())


def test_pdf_is_rendered_once_per_list_version(client, db, django_capture_on_commit_callbacks, monkeypatch):
    from subprocessors.listing import exports

    renders = []
    real = exports.list_pdf
    monkeypatch.setattr(exports, "list_pdf", lambda **kw: renders.append(kw) or real(**kw))
    make_subprocessor()
    response = get_prepared(client, "/subprocessors/snapshot.pdf", django_capture_on_commit_callbacks)
    first = b"".join(response.streaming_content)
    again = client.get("/subprocessors/snapshot.pdf")
    assert b"".join(again.streaming_content) == first
    assert len(renders) == 1


def test_page_links_to_every_format(client, db):
    html = client.get("/subprocessors/").content.decode()
    for href in (
        "/subprocessors/feed/",
        "/subprocessors/export.csv",
        "/subprocessors/snapshot.pdf",
        "/api/v1/subprocessors/",
    ):
        assert f'href="{href}' in html


def test_feed_lists_announced_and_withdrawn_changes(client, db):
    from django.utils import timezone

    from subprocessors.changes.models import SubprocessorChange

    # given: one announced change and one announced then withdrawn, both about proposed rows
    new = SubprocessorFactory(name=XSS, slug="newai", status="proposed")
    other = SubprocessorFactory(name="Other AI", slug="other", status="proposed")
    now = timezone.now()
    SubprocessorChange.objects.create(
        kind="add", subprocessor=new, reason="Faster models & more <b>capacity</b>", status="announced",
        effective_date=dt.date(2026, 12, 14), announced_at=now - dt.timedelta(days=2),
    )  # fmt: skip
    SubprocessorChange.objects.create(
        kind="add", subprocessor=other, reason="Backup region", status="withdrawn",
        effective_date=dt.date(2026, 12, 15), announced_at=now - dt.timedelta(days=3),
        withdrawn_at=now - dt.timedelta(days=1), withdrawal_reason="Contract not signed",
    )  # fmt: skip
    # when
    response = client.get("/subprocessors/feed/")
    # then
    feed = feedparser.parse(response.content)
    assert not feed.bozo
    assert [e.title for e in feed.entries] == [
        "Withdrawn: New sub-processor: Other AI",
        f"Announced: New sub-processor: {XSS} (from 14 December 2026)",
        "Announced: New sub-processor: Other AI (from 15 December 2026)",
    ]
    assert "Takes effect on 14 December 2026." in feed.entries[1].summary
    assert "&lt;b&gt;capacity&lt;/b&gt;" in feed.entries[1].summary
    assert "<script>" not in response.content.decode()
    assert feed.entries[1].link == "http://testserver/subprocessors/#upcoming-changes"
