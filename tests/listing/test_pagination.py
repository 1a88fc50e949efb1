"""A long list stays a small HTML page: 100 rows a page, filters kept in the page links, the full list one click
away in CSV, JSON and PDF."""

import re

import pytest

from subprocessors.listing import views
from subprocessors.listing.models import Subprocessor
from tests.listing.factories import SubprocessorFactory
from tests.organisations.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/subprocessors/"
ROWS = 250


@pytest.fixture
def long_list(db):
    Subprocessor.objects.bulk_create(
        [
            SubprocessorFactory.build(
                slug=f"p{i:03}",
                name=f"Provider {i:03}",
                category="ai_provider",
                position=i,
                hq_country="NL" if i % 2 else "FR",
                processing_region="EU",
            )
            for i in range(ROWS)
        ]
    )


def names(response) -> list[str]:
    return re.findall(r'<th scope="row">(?:<a [^>]*>)?([^<]+)<', response.content.decode())


def test_first_page_shows_the_first_hundred_rows(client, long_list):
    response = client.get(URL)
    assert response.status_code == 200
    assert names(response) == [f"Provider {i:03}" for i in range(100)]
    html = response.content.decode()
    assert "Showing 250 of 250 sub-processors, 1–100 on this page." in html
    assert "Page 1 of 3" in html
    assert 'href="?page=2" rel="next"' in html
    assert 'rel="prev"' not in html
    assert 'AI model providers <span class="badge">250</span>' in html


def test_third_page_shows_the_last_rows(client, long_list):
    response = client.get(URL + "?page=3")
    assert names(response) == [f"Provider {i:03}" for i in range(200, 250)]
    html = response.content.decode()
    assert "Page 3 of 3" in html
    assert 'href="?page=2" rel="prev"' in html
    assert 'rel="next"' not in html


def test_the_full_list_is_one_click_away(client, long_list):
    html = client.get(URL).content.decode()
    assert (
        'Download the full list: <a href="/subprocessors/export.csv">CSV</a> · '
        '<a href="/api/v1/subprocessors/">JSON</a> · <a href="/subprocessors/snapshot.pdf">PDF</a>'
    ) in html


def test_html_stays_small(client, long_list):
    # 250 rows on one page were about 100 KB; a page of 100 rows stays under 60 KB
    assert len(client.get(URL).content) < 60_000


def test_filters_are_kept_in_page_links(client, long_list):
    response = client.get(URL + "?country=NL&category=ai_provider")
    html = response.content.decode()
    assert "Showing 125 of 250 sub-processors matching your filters, 1–100 on this page." in html
    assert 'href="?category=ai_provider&amp;country=NL&amp;page=2" rel="next"' in html
    second = client.get(URL + "?category=ai_provider&country=NL&page=2")
    assert names(second) == [f"Provider {i:03}" for i in range(201, 250, 2)]


@pytest.mark.parametrize(("page", "first"), [("99", 200), ("-1", 200), ("abc", 0), ("", 0), ("2.5", 0)])
def test_odd_page_numbers_show_the_last_or_first_page(client, long_list, page, first):
    response = client.get(URL, {"page": page})
    assert response.status_code == 200
    assert names(response)[0] == f"Provider {first:03}"


def test_a_short_list_has_no_page_links(client, db):
    SubprocessorFactory(name="Only One")
    html = client.get(URL).content.decode()
    assert "Page 1 of" not in html
    assert "Controller-data service providers" in html  # every table shown, empty ones too


def test_page_numbers_share_one_cached_body_and_deep_pages_leave_the_cache_soon(client, long_list, monkeypatch):
    stored: list[tuple[str, int]] = []
    real_set = views.cache.set
    monkeypatch.setattr(
        views.cache, "set", lambda key, value, timeout: stored.append((key, timeout)) or real_set(key, value, timeout)
    )
    # signed-in visitors pass the whole-page cache, so the list's own cached body is what they get
    client.force_login(UserFactory())
    for page in ("2", "02", "+2"):
        assert names(client.get(URL, {"page": page}))[0] == "Provider 100"
    first = client.get(URL)
    assert names(first)[0] == "Provider 000"
    bodies = [(key, timeout) for key, timeout in stored if key.startswith("subprocessors:page:")]
    assert len(bodies) == 2  # page 2 rendered once for its three spellings, then page 1
    assert bodies[0][1] == 600
    assert bodies[1][1] == 86400
