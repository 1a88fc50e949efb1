import datetime as dt

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from dpa.versions import pdf as versions_pdf
from dpa.versions.annex import annex_subprocessors
from portal.audit.models import AuditEvent
from subprocessors.listing.services import subprocessor_update
from tests.auth import login
from tests.listing.factories import make_subprocessor
from tests.organisations.factories import UserFactory
from tests.pdf import pdf_page_count, pdf_text
from tests.signing.factories import DpaVersionFactory, memoize_pdf, published_version
from tests.trust.factories import grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def memo_pdf(monkeypatch):
    return memoize_pdf(monkeypatch)


def _at(day: dt.date, hour: int = 12):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def test_informational_pdf_has_cover_toc_numbered_clauses_page_numbers_and_watermark(memo_pdf):
    version = published_version(label="2026.1")
    content = versions_pdf.informational_pdf(version).read()
    text = pdf_text(content)
    pages = pdf_page_count(content)
    assert content.startswith(b"%PDF")
    assert pages >= 4
    assert "Version 2026.1" in text
    assert "Contents" in text
    assert "1. Processing on instructions" in text
    assert "4. Personal data breaches" in text
    assert "4.1" in text
    assert f"Page 2 of {pages}" in text
    assert "Informational copy — not executed" in text
    assert "Annex 1" in text


def test_pdf_is_rendered_once_per_content_and_served_from_storage(memo_pdf):
    version = published_version(label="2026.1")
    first = versions_pdf.informational_pdf(version)
    second = versions_pdf.informational_pdf(version)
    assert not first.cached
    assert second.cached
    assert first.path == second.path
    assert len(memo_pdf) == 1
    assert default_storage.exists(first.path)
    # A different watermark is different content: a different file.
    assert versions_pdf.version_pdf(version).path != first.path


def test_annex_1_is_the_list_as_it_stood_on_the_effective_date(memo_pdf):
    # given: a list that changed around the effective date
    make_subprocessor(name="Hetzner", slug="hetzner", legal_entity="Hetzner Online GmbH", at=_at(dt.date(2025, 6, 1)))
    mistral = make_subprocessor(name="Mistral AI", slug="mistral-ai", at=_at(dt.date(2025, 7, 1)))
    subprocessor_update(
        subprocessor=mistral,
        data={"purpose": "Model inference (changed later)"},
        actor=None,
        at=_at(dt.date(2026, 3, 1)),
    )
    make_subprocessor(name="Latecomer", slug="latecomer", at=_at(dt.date(2026, 2, 1)))
    version = published_version(label="2026.1", effective_date=dt.date(2026, 1, 1))
    # when
    text = " ".join(pdf_text(versions_pdf.informational_pdf(version).read()).split())
    # then
    rows = annex_subprocessors(dt.date(2026, 1, 1))
    assert sorted(r.name for r in rows) == ["Hetzner", "Mistral AI"]
    assert [r.purpose for r in rows if r.name == "Mistral AI"] == ["AI model processing"]
    assert "Sub-processors as at 1 January 2026" in text
    assert "Hetzner Online GmbH" in text
    assert "Mistral AI" in text
    assert "Latecomer" not in text
    assert "changed later" not in text
    assert "AI model processing" in text


def test_informational_download_needs_approved_access_and_is_audited(client, memo_pdf, fetch_prepared):
    version = published_version(label="2026.1")
    user = UserFactory()
    grant(user)
    login(client, user)
    response = fetch_prepared(reverse("versions:pdf", args=["2026.1"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "informational" in response["Content-Disposition"]
    assert "Informational copy — not executed" in pdf_text(response.content)
    event = AuditEvent.objects.get(action="dpa.informational_copy_downloaded")
    assert event.actor_id == user.pk
    assert event.target_id == str(version.pk)


def test_url_fetcher_refuses_files_and_network():
    for url in ("file:///etc/passwd", "http://169.254.169.254/latest", "https://example.com/x.png"):
        with pytest.raises(versions_pdf.FetchRefused):
            versions_pdf._static_only_fetcher().fetch(url)


def test_staff_preview_of_a_draft_is_marked_draft(client, legal, memo_pdf, fetch_prepared):
    DpaVersionFactory(label="d1")
    login(client, legal)
    response = fetch_prepared(reverse("versions:staff_preview", args=["d1"]))
    assert response.status_code == 200
    assert "Draft — not in force" in pdf_text(response.content)


def test_publishing_renders_the_informational_copy_after_commit(run_on_commit, legal, memo_pdf):
    from dpa.versions.services import dpa_version_publish

    version = DpaVersionFactory(label="2027.1")
    run_on_commit(dpa_version_publish, version=version, actor=legal)
    assert versions_pdf.informational_pdf(version).cached
