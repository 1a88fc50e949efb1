"""The whole-page cache middleware's rules (portal.core.page_cache) and the text gzip middleware
(portal.core.compression), on their own and on the pages the apps declare."""

import json

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import RequestFactory
from prometheus_client import REGISTRY

from portal.core.page_cache import (
    PRIVATE_CACHE_CONTROL,
    CachedPage,
    Entry,
    choose_encoding,
    declared_pages,
    entry_key,
    page_version,
    storable,
)
from tests.listing.factories import make_subprocessor

LIST = "/subprocessors/"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("", "identity"),
        ("gzip", "gzip"),
        ("gzip, deflate, br, zstd", "br"),
        ("br;q=0, gzip;q=0.5", "gzip"),
        ("*", "br"),
        ("*;q=0", "identity"),
        ("gzip;q=abc", "identity"),
    ],
)
def test_encoding_follows_accept_encoding(accept, expected):
    assert choose_encoding(accept, {"identity": b"", "gzip": b"", "br": b""}) == expected


def test_encoding_is_identity_when_nothing_was_compressed():
    assert choose_encoding("br, gzip", {"identity": b"tiny"}) == "identity"


def test_every_declared_page_exists_and_the_list_pages_are_declared():
    names = set(declared_pages())
    assert names == {
        "listing:list",
        "listing:history",
        "listing:export_csv",
        "listing:api_list",
        "listing:api_detail",
        "changes:feed",
    }


def _response(**headers) -> HttpResponse:
    response = HttpResponse(b"<p>page</p>" * 50, content_type="text/html; charset=utf-8")
    for name, value in headers.items():
        response.headers[name] = value
    return response


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: _response(), True),
        (lambda: HttpResponse(status=404), False),
        (lambda: _response(**{"Cache-Control": "private"}), False),
        (lambda: _response(**{"Cache-Control": "no-store"}), False),
    ],
)
def test_only_plain_200s_are_storable(rf, make, expected):
    assert storable(rf.get(LIST), make()) is expected


def test_a_response_that_sets_a_cookie_is_not_storable(rf):
    response = _response()
    response.set_cookie("anything", "1")
    assert not storable(rf.get(LIST), response)


def test_a_page_that_asked_for_a_csrf_token_is_never_stored(rf):
    request = rf.get(LIST)
    request.META["CSRF_COOKIE"] = "x" * 32
    get_token(request)  # what {% csrf_token %} does
    assert not storable(request, _response())


def test_an_entry_keeps_the_security_headers_and_drops_per_response_ones(rf):
    response = _response(**{"X-Frame-Options": "DENY", "Content-Security-Policy": "default-src 'self'"})
    response.headers["X-Request-ID"] = "abc12345"
    response.set_cookie("x", "1")
    entry = Entry.from_response(response, "1700000000.abc")
    served = entry.response(rf.get(LIST))
    assert served["X-Frame-Options"] == "DENY"
    assert served["Content-Security-Policy"] == "default-src 'self'"
    assert "X-Request-ID" not in served
    assert not served.cookies
    assert served["Last-Modified"] == "Tue, 14 Nov 2023 22:13:20 GMT"  # the version's second


def test_the_key_ignores_parameters_a_page_does_not_read(rf):
    page = CachedPage("listing:list", "v", query_keys=("q", "page"))
    assert entry_key(rf.get(LIST, {"q": "a", "utm_source": "x"}), page) == entry_key(rf.get(LIST, {"q": "a"}), page)
    assert entry_key(rf.get(LIST, {"q": "a"}), page) != entry_key(rf.get(LIST, {"q": "b"}), page)
    api = CachedPage("listing:api_list", "v", vary_accept=True)
    json_request = rf.get(LIST, HTTP_ACCEPT="application/json")
    assert entry_key(json_request, api) != entry_key(rf.get(LIST, HTTP_ACCEPT="text/html"), api)
    assert entry_key(rf.get(LIST, {"b": "2", "a": "1"}), api) == entry_key(rf.get(LIST, {"a": "1", "b": "2"}), api)


def test_a_version_is_created_once(db):
    assert page_version("tests:version") == page_version("tests:version")


@pytest.mark.django_db
def test_a_hit_gets_its_log_line_request_id_and_metrics(client, caplog):
    make_subprocessor(name="Logged AI")
    client.get(LIST)

    def hits() -> float:
        return REGISTRY.get_sample_value("portal_page_cache_lookups_total", {"result": "hit"}) or 0.0

    def by_view() -> float:
        labels = {"status": "200", "view": "listing:list", "method": "GET"}
        return REGISTRY.get_sample_value("django_http_responses_total_by_status_view_method_total", labels) or 0.0

    before, before_view = hits(), by_view()
    with caplog.at_level("INFO"):
        response = client.get(LIST, HTTP_X_REQUEST_ID="hit-request-0001")
    assert response["X-Request-ID"] == "hit-request-0001"
    lines = [r.msg for r in caplog.records if isinstance(r.msg, dict) and r.msg.get("event") == "request_finished"]
    assert lines, [r.msg for r in caplog.records]
    line = lines[-1]
    assert (line["method"], line["path"], line["status"]) == ("GET", LIST, 200)
    assert line["request_id"] == "hit-request-0001"
    assert hits() == before + 1
    assert by_view() == before_view + 1


@pytest.mark.django_db
def test_signed_in_requests_pass_through_marked_private(client, member):
    from tests.auth import login

    make_subprocessor(name="Private AI")
    login(client, member)
    response = client.get(LIST)
    assert response["Cache-Control"] == PRIVATE_CACHE_CONTROL


def test_text_gzip_compresses_json_and_skips_pdfs():
    from portal.core.compression import TextGZipMiddleware

    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING="gzip")
    body = json.dumps({"rows": ["x" * 40] * 20}).encode()
    compressed = TextGZipMiddleware(lambda r: HttpResponse(body, content_type="application/json"))(request)
    assert compressed["Content-Encoding"] == "gzip"
    pdf = TextGZipMiddleware(lambda r: HttpResponse(b"%PDF" + b"x" * 500, content_type="application/pdf"))(request)
    assert not pdf.has_header("Content-Encoding")


def test_the_cache_sits_right_after_static_files_and_compression():
    middleware = settings.MIDDLEWARE
    position = middleware.index("portal.core.page_cache.PublicPageCacheMiddleware")
    assert middleware[position - 2 : position] == [
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "portal.core.compression.TextGZipMiddleware",
    ]
    assert position < middleware.index("django.contrib.sessions.middleware.SessionMiddleware")
