"""The public pages as a CDN and a browser see them: whole-page cache hits (portal.core.page_cache), validators,
HEAD, compression, invalidation, and who never gets whose page."""

import datetime as dt
import gzip

import brotli
import pytest
from django.test import Client
from django.urls import reverse

from portal.core.page_cache import bump_version
from subprocessors.changes.services import change_announce
from subprocessors.listing.cache import VERSION_KEY
from subprocessors.listing.services import subprocessor_update
from tests.auth import login
from tests.changes.factories import make_change
from tests.listing.factories import make_subprocessor

pytestmark = pytest.mark.django_db

LIST = "/subprocessors/"
PUBLIC_URLS = [
    pytest.param(LIST, "text/html", id="list"),
    pytest.param("/subprocessors/history/", "text/html", id="history"),
    pytest.param("/subprocessors/feed/", "application/atom+xml", id="feed"),
    pytest.param("/subprocessors/export.csv", "text/csv", id="csv"),
    pytest.param("/api/v1/subprocessors/", "application/json", id="api"),
    pytest.param("/api/v1/subprocessors/cached-ai/", "application/json", id="api-detail"),
]
# Headers that belong to one answer on the wire.
PER_RESPONSE = {"X-Request-ID", "Date"}


@pytest.fixture
def rows(db):
    return make_subprocessor(name="Cached AI", slug="cached-ai")


def stable_headers(response) -> dict:
    return {k: v for k, v in response.headers.items() if k not in PER_RESPONSE}


@pytest.mark.parametrize(("url", "content_type"), PUBLIC_URLS)
def test_a_hit_serves_the_same_bytes_and_headers_without_a_query(
    client, rows, url, content_type, django_assert_max_num_queries
):
    first = client.get(url)
    assert first.status_code == 200
    assert first["Content-Type"].startswith(content_type)
    with django_assert_max_num_queries(0):
        again = client.get(url)
    assert again.content == first.content
    assert stable_headers(again) == stable_headers(first)
    assert not again.templates  # nothing rendered
    assert again["X-Request-ID"] != first["X-Request-ID"]  # each answer still gets its own id


@pytest.mark.parametrize(("url", "content_type"), PUBLIC_URLS)
def test_public_pages_carry_validators_and_a_public_cache_control(client, rows, url, content_type):
    response = client.get(url)
    assert response["ETag"].startswith('"')
    assert response["Last-Modified"].endswith("GMT")
    assert response["Cache-Control"].startswith("public, max-age=60")
    assert "Accept-Encoding" in response["Vary"]


@pytest.mark.parametrize(("url", "content_type"), PUBLIC_URLS)
def test_head_answers_with_headers_and_no_body(client, rows, url, content_type):
    for _ in range(2):  # a miss, then a hit
        response = client.head(url)
        assert response.status_code == 200
        assert response["Content-Type"].startswith(content_type)
        assert response.content == b""
        assert int(response["Content-Length"]) == len(client.get(url).content)
        assert response["ETag"] == client.get(url)["ETag"]


@pytest.mark.parametrize(("url", "content_type"), PUBLIC_URLS)
def test_if_none_match_answers_304_from_the_cache(client, rows, url, content_type, django_assert_max_num_queries):
    etag = client.get(url)["ETag"]
    with django_assert_max_num_queries(0):
        response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert response["Cache-Control"].startswith("public")


def test_if_none_match_on_a_miss_and_if_modified_since(client, rows):
    first = client.get(LIST)
    bump_version(VERSION_KEY)  # the next answer is rendered again (the same bytes: nothing changed)
    assert client.get(LIST, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert client.get(LIST, HTTP_IF_NONE_MATCH='"other"').status_code == 200
    assert client.get(LIST, HTTP_IF_MODIFIED_SINCE=client.get(LIST)["Last-Modified"]).status_code == 304
    assert client.get(LIST, HTTP_IF_MODIFIED_SINCE="Thu, 01 Jan 2015 00:00:00 GMT").status_code == 200
    assert client.get(LIST, HTTP_IF_NONE_MATCH=f"W/{first['ETag']}").status_code == 304  # weak comparison


@pytest.mark.parametrize(
    ("accept", "encoding", "decode"),
    [
        ("gzip", "gzip", gzip.decompress),
        ("br, gzip", "br", brotli.decompress),
        ("gzip, br;q=0", "gzip", gzip.decompress),
    ],
)
@pytest.mark.parametrize("url", [LIST, "/subprocessors/feed/", "/subprocessors/export.csv", "/api/v1/subprocessors/"])
def test_compressed_when_asked(client, rows, url, accept, encoding, decode):
    plain = client.get(url)
    for _ in range(2):  # the miss answers compressed too
        response = client.get(url, HTTP_ACCEPT_ENCODING=accept)
        assert response["Content-Encoding"] == encoding
        assert "Accept-Encoding" in response["Vary"]
        assert decode(response.content) == plain.content
        assert int(response["Content-Length"]) == len(response.content)
        assert response["ETag"] == "W/" + plain["ETag"]
        client.cookies.clear()


def test_identity_when_nothing_is_accepted(client, rows):
    response = client.get(LIST, HTTP_ACCEPT_ENCODING="identity")
    assert not response.has_header("Content-Encoding")
    assert b"Cached AI" in response.content


def test_saving_a_row_serves_the_new_list_at_once(client, rows, run_on_commit, legal):
    for url in (LIST, "/subprocessors/export.csv", "/api/v1/subprocessors/", "/subprocessors/feed/"):
        client.get(url)
    run_on_commit(subprocessor_update, subprocessor=rows, data={"name": "Renamed AI"}, actor=legal)
    for url in (LIST, "/subprocessors/export.csv", "/api/v1/subprocessors/"):
        body = client.get(url).content.decode("utf-8-sig")
        assert "Renamed AI" in body, url
        assert "Cached AI" not in body, url


def test_announcing_a_change_serves_the_new_feed_and_list_at_once(client, rows, run_on_commit, legal):
    before_feed = client.get("/subprocessors/feed/").content
    before_list = client.get(LIST).content
    assert b"No changes are announced at the moment." in before_list
    change = make_change(effective_date=dt.date(2026, 12, 29))
    run_on_commit(
        change_announce,
        change=change,
        effective_date=None,
        actor=legal,
        now=dt.datetime(2026, 12, 14, 9, 0, tzinfo=dt.UTC),
    )
    assert client.get("/subprocessors/feed/").content != before_feed
    assert b"No changes are announced at the moment." not in client.get(LIST).content


def test_signed_in_visitors_never_get_the_anonymous_page(client, rows, member):
    anonymous = client.get(LIST)
    login(client, member)
    response = client.get(LIST)
    assert member.email in response.content.decode()
    assert response.content != anonymous.content
    assert response["Cache-Control"] == "private, no-cache"
    assert "Cookie" in response["Vary"]


def test_anonymous_visitors_never_get_a_signed_in_page(rows, member):
    signed_in = Client()
    login(signed_in, member)
    assert member.email in signed_in.get(LIST).content.decode()  # rendered first, with a session
    html = Client().get(LIST).content.decode()
    assert member.email not in html
    assert "Sign in" in html
    assert "csrfmiddlewaretoken" not in html


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({"HTTP_COOKIE": "messages=pending"}, id="messages-cookie"),
        pytest.param({"HTTP_AUTHORIZATION": "Token abc"}, id="authorization"),
    ],
)
def test_requests_with_personal_state_bypass_the_cache(client, rows, extra):
    client.get(LIST)  # fills the cache
    response = client.get(LIST, **extra)
    assert response.templates  # rendered for this request
    assert response["Cache-Control"] == "private, no-cache"


def test_only_200s_are_stored(client, rows, django_assert_max_num_queries):
    assert client.get(LIST + "?country=ZZ").status_code == 400
    assert client.get(LIST + "?country=ZZ").templates  # rendered again: never stored
    assert client.get("/api/v1/subprocessors/missing/").status_code == 404
    with django_assert_max_num_queries(1):
        assert client.get("/api/v1/subprocessors/missing/").status_code == 404


def test_query_parameters_the_page_does_not_read_share_an_entry(client, rows, django_assert_max_num_queries):
    first = client.get(LIST + "?category=ai_provider&utm_source=news")
    with django_assert_max_num_queries(0):
        again = client.get(LIST + "?utm_campaign=x&category=ai_provider")
    assert again.content == first.content


def test_the_api_keys_on_accept(client, rows):
    json = client.get("/api/v1/subprocessors/", HTTP_ACCEPT="application/json")
    html = client.get("/api/v1/subprocessors/", HTTP_ACCEPT="text/html")
    assert json["Content-Type"] == "application/json"
    assert html["Content-Type"].startswith("text/html")
    assert client.get("/api/v1/subprocessors/", HTTP_ACCEPT="application/json").content == json.content


def test_subscribing_from_a_cached_list_page_needs_no_token(rows, mailoutbox):
    """The list page is shared by every visitor, so its subscribe form carries no CSRF token; the subscribe view
    is csrf_exempt because a forged request can only start a subscription its owner must confirm by email."""
    visitor = Client(enforce_csrf_checks=True)
    html = visitor.get(LIST).content.decode()
    assert f'action="{reverse("listing:subscribe")}"' in html
    response = visitor.post(reverse("listing:subscribe"), {"email": "reader@news.example"})
    assert response.status_code == 302
    assert response["Location"] == reverse("listing:subscribe_sent")


def test_a_signed_in_list_page_costs_only_the_user_query(client, rows, member, django_assert_max_num_queries):
    login(client, member)
    client.get(LIST)  # renders the list body once, remembers the menu and log facts in the session
    with django_assert_max_num_queries(1):  # the user; the session comes from the cache
        response = client.get(LIST)
    assert member.email in response.content.decode()
    assert "Cached AI" in response.content.decode()


def test_signed_in_pages_are_gzipped_with_breach_padding(client, rows, member):
    login(client, member)
    first = client.get(LIST, HTTP_ACCEPT_ENCODING="gzip")
    second = client.get(LIST, HTTP_ACCEPT_ENCODING="gzip")
    assert first["Content-Encoding"] == "gzip"
    assert member.email in gzip.decompress(first.content).decode()
    # random bytes in each gzip header, so a body's length says nothing about its secrets
    assert first.content != second.content


def test_pdfs_are_not_compressed_again(client, rows, fetch_prepared):
    response = fetch_prepared(reverse("listing:export_pdf"), HTTP_ACCEPT_ENCODING="gzip, br")
    assert response.status_code == 200
    assert not response.has_header("Content-Encoding")
    assert client.head(reverse("listing:export_pdf")).status_code == 200
