import datetime as dt

import pytest
from django.urls import reverse

from subprocessors.listing.demo import load_demo
from subprocessors.listing.models import Subprocessor
from subprocessors.listing.services import subprocessor_update
from tests.auth import login
from tests.listing.factories import SubprocessorFactory, make_subprocessor

pytestmark = pytest.mark.django_db

URL = "/subprocessors/"


@pytest.fixture
def demo(db):
    load_demo()


def names(response) -> list[str]:
    """Provider names in the page's tables, in order."""
    import re

    return re.findall(r'<th scope="row">(?:<a [^>]*>)?([^<]+)<', response.content.decode())


def test_page_shows_three_tables_with_reference_facts(client, demo):
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Sub-processors for customer data" in html
    assert "AI model providers" in html
    assert "Controller-data service providers" in html
    assert "Showing 23 of 23 sub-processors." in html
    assert 'Last updated: <time datetime="2026-05-04">4 May 2026</time>' in html
    assert "nl-ams (Amsterdam)" in html
    assert "No prompt retention / no training" in html
    assert names(response)[:4] == ["Scaleway", "Sentry (EU-hosted)", "PostHog Cloud EU", "Scaleway Cockpit"]
    assert "Phare.io" in names(response)
    assert "_upcoming_changes" not in html


def test_demo_load_is_idempotent(demo):
    load_demo()
    assert Subprocessor.objects.count() == 23


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("category=ai_provider", 11),
        ("category=controller_data", 8),
        ("eea_only=1", 16),
        ("country=US", 8),
        ("country=nl", 4),  # GreenPT, Nebius, Mollie (HQ) and Scaleway hosting (processing)
        ("q=posthog", 2),
        ("q=SIGN-IN", 2),
        ("no_retention=1&no_training=1", 23),
        ("category=ai_provider&country=US", 2),
        ("category=customer_data&eea_only=1&q=error", 2),
        ("category=controller_data&eea_only=on&country=EU", 1),
        ("q=nothing-like-this", 0),
    ],
)
def test_filters_singly_and_combined(client, demo, query, expected):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200
    assert len(names(response)) == expected


def test_country_filter_matches_hq_or_processing_region(client, demo):
    response = client.get(f"{URL}?country=NL")
    assert sorted(names(response)) == ["GreenPT", "Mollie", "Nebius", "Scaleway"]


def test_retention_and_training_filters_exclude_rows(client, db):
    make_subprocessor(slug="keeps", name="Keeps Prompts AI", retains_prompts=True, eea_only=False)
    make_subprocessor(slug="trains", name="Trains AI", trains_on_data=True)
    make_subprocessor(slug="clean", name="Clean AI")
    assert names(client.get(f"{URL}?no_retention=1")) == ["Clean AI", "Trains AI"]
    assert names(client.get(f"{URL}?no_training=1")) == ["Clean AI", "Keeps Prompts AI"]
    assert names(client.get(f"{URL}?no_training=1&no_retention=1&eea_only=1")) == ["Clean AI"]


def test_empty_state_with_reset_link(client, demo):
    response = client.get(f"{URL}?q=zzzz")
    html = response.content.decode()
    assert "No sub-processor matches these filters." in html
    assert "Showing 0 of 23 sub-processors matching your filters." in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("category=nonsense", "Select a valid choice."),
        ("country=XX", "Choose a country by its two-letter ISO code"),
        ("country=USA", "Ensure this value has at most 2 characters"),
        ("q=" + "a" * 101, "Ensure this value has at most 100 characters"),
    ],
)
def test_invalid_filter_values_answer_400_with_message(client, demo, query, message):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()
    # the valid part of the page still renders
    assert "Scaleway" in response.content.decode()


def test_retired_and_proposed_rows_are_not_listed(client, db):
    make_subprocessor(slug="live", name="Live AI")
    gone = make_subprocessor(slug="gone", name="Gone AI")
    subprocessor_update(subprocessor=gone, data={"status": "retired"}, actor=None)
    SubprocessorFactory(name="Secret Proposal", status="proposed")
    response = client.get(URL)
    assert names(response) == ["Live AI"]
    assert "Secret Proposal" not in response.content.decode()


def test_xss_in_names_is_escaped(client, db):
    make_subprocessor(name="<script>alert(1)</script>", purpose="<img src=x onerror=alert(2)>")
    html = client.get(URL).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html


def test_website_links_only_http(client, db):
    make_subprocessor(name="Linky", website="https://linky.example")
    html = client.get(URL).content.decode()
    assert 'href="https://linky.example" rel="noopener noreferrer external"' in html


@pytest.mark.parametrize("rows", [10, 500])
def test_constant_number_of_queries(client, db, django_assert_max_num_queries, rows):
    # given
    Subprocessor.objects.bulk_create(
        [
            SubprocessorFactory.build(
                slug=f"p{i}",
                name=f"P{i}",
                category=list(Subprocessor.Category)[i % 3],
                hq_country=["NL", "FR", "US", "DE"][i % 4],
            )
            for i in range(rows)
        ]
    )
    # then: five on a cache miss (rows, total, countries, last updated, upcoming changes), whatever the rows
    with django_assert_max_num_queries(5):
        response = client.get(URL + "?q=P")
    assert response.status_code == 200
    assert len(names(response)) == min(rows, 100)  # one page of the list
    # and none once the list body is cached
    with django_assert_max_num_queries(0):
        assert client.get(URL + "?q=P").status_code == 200


def test_page_cache_is_invalidated_when_a_row_is_saved(client, db, django_capture_on_commit_callbacks, legal):
    sp = make_subprocessor(name="Old Name")
    assert "Old Name" in client.get(URL).content.decode()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        subprocessor_update(subprocessor=sp, data={"name": "New Name"}, actor=legal)
    # then
    html = client.get(URL).content.decode()
    assert "New Name" in html
    assert "Old Name" not in html


def test_signed_in_user_sees_own_navigation_on_cached_page(client, db, member):
    make_subprocessor(name="Shared")
    client.get(URL)  # fills the cache anonymously
    login(client, member)
    html = client.get(URL).content.decode()
    assert member.email in html
    assert "Shared" in html


def test_history_lists_every_public_change_with_dates(client, db, legal):
    sp = make_subprocessor(name="Alpha", at=dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC))
    subprocessor_update(
        subprocessor=sp, data={"purpose": "Inference"}, actor=legal, at=dt.datetime(2026, 2, 3, 10, tzinfo=dt.UTC)
    )
    subprocessor_update(
        subprocessor=sp, data={"status": "retired"}, actor=legal, at=dt.datetime(2026, 3, 4, 10, tzinfo=dt.UTC)
    )
    SubprocessorFactory(name="Hidden Proposal", status="proposed")
    response = client.get(reverse("listing:history"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("4 Mar 2026") < html.index("3 Feb 2026") < html.index("5 Jan 2026")
    assert "Removed" in html
    assert "Added" in html
    assert "<del>AI model processing</del> → <ins>Inference</ins>" in html
    assert "Hidden Proposal" not in html
    assert legal.email not in html


def test_history_empty_state(client, db):
    assert "No changes have been published yet." in client.get(reverse("listing:history")).content.decode()


def test_nav_links_to_list(client, db):
    assert 'href="/subprocessors/"' in client.get("/").content.decode()


def test_whole_page_is_served_from_cache_to_visitors_without_session(client, db, django_assert_max_num_queries):
    make_subprocessor(name="Cached AI")
    first = client.get(URL + "?country=FR&utm_source=x")
    assert "csrftoken" not in first.cookies
    with django_assert_max_num_queries(0):
        again = client.get(URL + "?utm_source=y&country=FR")  # a parameter the page does not read: the same entry
    assert again.content == first.content
    assert not again.templates  # nothing rendered
    assert 'href="/subprocessors/export.csv?country=FR"' in again.content.decode()


def test_visitor_with_pending_messages_gets_a_fresh_page(client, db):
    make_subprocessor(name="Cached AI")
    client.get(URL)  # fills the whole-page cache
    client.cookies["messages"] = "pending"
    response = client.get(URL)
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "listing/list.html"  # rendered for this visitor
