"""The version of everything rendered from the public list (page, history, feed, CSV, PDF, API): cached
renderings are keyed by it, and any saved row or change bumps it, so nothing stale is served after a commit.

The whole public pages are cached by `portal.core.page_cache.PublicPageCacheMiddleware` under this version (see
`cached_pages` in this app's and the changes app's AppConfig)."""

from django.db import transaction

from portal.core.page_cache import bump_version, page_version
from subprocessors.listing.apps import LIST_VERSION_KEY

VERSION_KEY = LIST_VERSION_KEY


def public_list_version() -> str:
    return page_version(VERSION_KEY)


def invalidate_public_list() -> None:
    """Forget every cached rendering of the public list (page, feed, CSV, PDF, API) once the transaction commits.

    Call it from any service that saves a sub-processor or a change to the list."""
    transaction.on_commit(lambda: bump_version(VERSION_KEY))
