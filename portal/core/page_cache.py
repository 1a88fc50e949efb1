"""A full-response cache for public pages, so that an anonymous hit costs about what a static file costs.

Apps declare which of their URL names are public and the same for every visitor without a session, with the
`cached_pages` attribute of their AppConfig (a tuple of `CachedPage`), and which cache key holds the version of
the data those pages show; any change to that data bumps the version (`bump_version`), and every page rendered
under an older version is never served again.

`PublicPageCacheMiddleware` sits right after WhiteNoise (and the text-compression middleware) in
settings.MIDDLEWARE. For a GET or HEAD of a declared page, from a visitor without a session cookie, a messages
cookie or an Authorization header, it makes ONE cache round trip (`get_many` of the version and the entry, the
version stored in the entry and compared) and answers from the entry: status 200, the body (identity, gzip or
Brotli, compressed once when stored, chosen by Accept-Encoding), the headers the view and the later middleware
set (Content-Type, Content-Disposition, Vary, CSP, X-Frame-Options, ...), and ETag / Last-Modified /
Cache-Control for CDNs; If-None-Match and If-Modified-Since are answered with 304 from the entry.

What is never stored: anything but a 200; a response that sets a cookie; a response for a request that asked for
a CSRF token (the token is per visitor: a page carrying one must not be handed to someone else). A declared page
answers `Vary: Cookie` (the layout reads the session to show "Sign in"): it is stored all the same, because the
middleware only stores and serves for requests that carry neither a session nor a messages cookie, the only
cookies these pages read; the header stays on the response so that a shared cache keeps signed-in visitors apart.

The same declared pages, requested with a session, pass through and are marked `Cache-Control: private,
no-cache` (they show the visitor's name and a CSRF token in the layout).
"""

import functools
import gzip
import hashlib
import time
import uuid
from dataclasses import dataclass

import brotli
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.urls import Resolver404, get_urlconf, resolve
from django.utils.http import http_date, parse_etags, parse_http_date_safe
from django.utils.translation import get_language
from django_prometheus.middleware import Metrics
from prometheus_client import Counter

PUBLIC_CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=300"
PRIVATE_CACHE_CONTROL = "private, no-cache"
# Headers that belong to one response on the wire, not to the stored page.
_NOT_STORED = frozenset({"content-length", "content-encoding", "set-cookie", "date", "x-request-id"})
# Headers a 304 repeats (RFC 9110 15.4.5): the validators and what caches need to update their copy.
_NOT_MODIFIED_HEADERS = frozenset({"cache-control", "content-location", "etag", "expires", "last-modified", "vary"})
_COMPRESSIBLE = ("text/", "application/json", "application/atom+xml", "application/xml", "application/javascript")
MIN_COMPRESS_BYTES = 200
BROTLI_QUALITY = 9  # compressed once per list version: a good ratio matters more than the milliseconds

LOOKUPS = Counter(
    "portal_page_cache_lookups_total", "Public page cache lookups by result (hit, not_modified, miss).", ["result"]
)
_HITS, _NOT_MODIFIED, _MISSES = (LOOKUPS.labels(result) for result in ("hit", "not_modified", "miss"))


@dataclass(frozen=True)
class CachedPage:
    """A URL name whose anonymous GET/HEAD responses may be cached whole, under the version kept at
    `version_key`. `vary_accept`: the response depends on the Accept header (an API with several renderers)."""

    url_name: str
    version_key: str
    vary_accept: bool = False
    # The query parameters the view reads (None: all of them, e.g. an API whose links repeat the whole query).
    # Others (utm_source, cache busters) share the entry of the URL without them.
    query_keys: tuple[str, ...] | None = None
    # Seconds an entry may stay when nothing bumps the version; a URL with a query gets `query_seconds`, so that
    # the many one-off searches and filter combinations leave the cache soon.
    seconds: int = 86400
    query_seconds: int = 600


def page_version(version_key: str) -> str:
    """The current version stored at `version_key`, created when missing. A version starts with the second it
    was made, which is the pages' Last-Modified."""
    version = cache.get(version_key)
    if version is None:
        version = _new_version()
        # add() so that two first readers agree on one version.
        if not cache.add(version_key, version, None):
            version = cache.get(version_key) or version
    return version


def bump_version(version_key: str) -> None:
    """Every page cached under `version_key` is stale from now on."""
    cache.set(version_key, _new_version(), None)


def _new_version() -> str:
    return f"{int(time.time())}.{uuid.uuid4().hex}"


def version_time(version: str) -> int | None:
    head = version.partition(".")[0]
    return int(head) if head.isdigit() else None


def declared_pages() -> dict[str, CachedPage]:
    pages: dict[str, CachedPage] = {}
    for config in apps.get_app_configs():
        for page in getattr(config, "cached_pages", ()):
            pages[page.url_name] = page
    return pages


@functools.lru_cache(maxsize=2048)
def _page_for(urlconf: str, path: str) -> tuple[CachedPage, object] | None:
    """The declared page a path resolves to (and the match, for the request log), resolved once per path."""
    try:
        match = resolve(path, urlconf)
    except Resolver404:
        return None
    page = _pages().get(match.view_name)
    return None if page is None else (page, match)


@functools.cache
def _pages() -> dict[str, CachedPage]:
    return declared_pages()


def anonymous(request) -> bool:
    """No session, no pending messages and no credentials: the page is the same for every such visitor."""
    cookies = request.COOKIES
    return (
        settings.SESSION_COOKIE_NAME not in cookies
        and "messages" not in cookies
        and "HTTP_AUTHORIZATION" not in request.META
    )


def entry_key(request, page: CachedPage) -> str:
    """Path, normalised query (the parameters the view reads, sorted, so ?a=1&b=2 and ?b=2&a=1 share an entry),
    host and scheme (absolute links in the API), Accept for an API, and language."""
    keys = page.query_keys
    query = sorted((k, v) for k, values in request.GET.lists() if keys is None or k in keys for v in values)
    accept = request.META.get("HTTP_ACCEPT", "") if page.vary_accept else ""
    raw = "|".join((request.scheme, request.get_host(), request.path, repr(query), accept, get_language() or ""))
    return "pagecache:" + hashlib.sha256(raw.encode()).hexdigest()[:40]


@dataclass(frozen=True)
class Entry:
    """A stored 200: the version it was rendered under, its headers, and its body in each encoding."""

    version: str
    headers: tuple[tuple[str, str], ...]
    bodies: dict[str, bytes]
    etag: str
    last_modified: int | None

    @classmethod
    def from_response(cls, response, version: str) -> "Entry":
        body = response.content
        headers = {k: v for k, v in response.headers.items() if k.lower() not in _NOT_STORED}
        etag = headers.setdefault("ETag", '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
        modified = parse_http_date_safe(headers["Last-Modified"]) if "Last-Modified" in headers else None
        if modified is None and version_time(version) is not None:
            modified = version_time(version)
            headers["Last-Modified"] = http_date(modified)
        headers.setdefault("Cache-Control", PUBLIC_CACHE_CONTROL)
        bodies = {"identity": body}
        if len(body) >= MIN_COMPRESS_BYTES and headers.get("Content-Type", "").startswith(_COMPRESSIBLE):
            bodies["br"] = brotli.compress(body, quality=BROTLI_QUALITY)
            bodies["gzip"] = gzip.compress(body, compresslevel=9, mtime=0)
            # patched once here rather than on every hit
            vary = [v.strip() for v in headers.get("Vary", "").split(",") if v.strip()]
            if "accept-encoding" not in {v.lower() for v in vary}:
                headers["Vary"] = ", ".join([*vary, "Accept-Encoding"])
        return cls(version, tuple(headers.items()), bodies, etag, modified)

    def response(self, request) -> HttpResponse:
        if self._not_modified(request):
            _NOT_MODIFIED.inc()
            response = HttpResponse(status=304)
            for name, value in self.headers:
                if name.lower() in _NOT_MODIFIED_HEADERS:
                    response.headers[name] = value
            return response
        encoding = choose_encoding(request.META.get("HTTP_ACCEPT_ENCODING", ""), self.bodies)
        body = self.bodies[encoding]
        response = HttpResponse(b"" if request.method == "HEAD" else body)
        for name, value in self.headers:
            response.headers[name] = value
        response.headers["Content-Length"] = str(len(body))
        if encoding != "identity":
            response.headers["Content-Encoding"] = encoding
            # Another representation of the same page: a weak validator (as Django's GZipMiddleware does).
            if not self.etag.startswith("W/"):
                response.headers["ETag"] = "W/" + self.etag
        return response

    def _not_modified(self, request) -> bool:
        """RFC 9110 13.2.2: If-None-Match (weak comparison) wins; If-Modified-Since only without it."""
        if_none_match = request.META.get("HTTP_IF_NONE_MATCH")
        if if_none_match:
            tags = parse_etags(if_none_match)
            return "*" in tags or _opaque(self.etag) in {_opaque(t) for t in tags}
        since = parse_http_date_safe(request.META.get("HTTP_IF_MODIFIED_SINCE", ""))
        return since is not None and self.last_modified is not None and self.last_modified <= since


def _opaque(etag: str) -> str:
    return etag.removeprefix("W/")


def choose_encoding(accept_encoding: str, bodies: dict[str, bytes]) -> str:
    """Brotli, then gzip, when the client accepts it (q > 0) and the page has that body; otherwise identity."""
    accepted: dict[str, float] = {}
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        accepted[name.strip()] = q
    for encoding in ("br", "gzip"):
        if encoding in bodies and accepted.get(encoding, accepted.get("*", 0.0)) > 0:
            return encoding
    return "identity"


def storable(request, response) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        # get_token() was called: the page carries this visitor's CSRF token
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and "no-store" not in response.get("Cache-Control", "")
        and "private" not in response.get("Cache-Control", "")
    )


def _record_hit(request, response, page: CachedPage) -> None:
    """The per-view response counters django-prometheus's last middleware would have counted (a hit never
    reaches it)."""
    metrics = Metrics.get_instance()
    status = str(response.status_code)
    metrics.responses_by_status.labels(status=status).inc()
    metrics.responses_by_status_view_method.labels(status=status, view=page.url_name, method=request.method).inc()


class PublicPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        found = _page_for(
            getattr(request, "urlconf", None) or get_urlconf() or settings.ROOT_URLCONF, request.path_info
        )
        if found is None:
            return self.get_response(request)
        page, match = found
        if not anonymous(request):
            response = self.get_response(request)
            if not response.has_header("Cache-Control"):
                response.headers["Cache-Control"] = PRIVATE_CACHE_CONTROL
            return response
        key = entry_key(request, page)
        values = cache.get_many([page.version_key, key])
        version, entry = values.get(page.version_key), values.get(key)
        if version is not None and isinstance(entry, Entry) and entry.version == version:
            request.resolver_match = match  # for the request log's path
            response = entry.response(request)
            if response.status_code == 200:
                _HITS.inc()
            _record_hit(request, response, page)
            return response
        _MISSES.inc()
        if version is None:
            version = page_version(page.version_key)
        response = self.get_response(request)
        if not storable(request, response):
            return response
        entry = Entry.from_response(response, version)
        cache.set(key, entry, page.query_seconds if request.GET else page.seconds)
        return entry.response(request)
