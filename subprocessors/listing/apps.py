from django.apps import AppConfig

from portal.core.page_cache import CachedPage

LIST_VERSION_KEY = "subprocessors:list-version"  # subprocessors.listing.cache.VERSION_KEY (no model imports here)
# The query parameters of the list page and the CSV export (ListFilterForm's fields).
FILTER_KEYS = ("q", "category", "country", "eea_only", "no_retention", "no_training")


class ListingConfig(AppConfig):
    """The public sub-processor list: entries, revisions, history, filters, CSV/JSON/PDF exports, the API."""

    name = "subprocessors.listing"
    label = "listing"
    verbose_name = "Sub-processor list"
    nav_items = ((10, "Sub-processors", "listing:list"),)
    staff_nav_items = ((10, "Sub-processors", "listing:staff_list"),)
    # Public pages cached whole for anonymous visitors (portal.core.page_cache), stale once the list changes.
    cached_pages = (
        CachedPage("listing:list", LIST_VERSION_KEY, query_keys=(*FILTER_KEYS, "page")),
        CachedPage("listing:history", LIST_VERSION_KEY, query_keys=("page",)),
        CachedPage("listing:export_csv", LIST_VERSION_KEY, query_keys=FILTER_KEYS),
        CachedPage("listing:api_list", LIST_VERSION_KEY, vary_accept=True),
        CachedPage("listing:api_detail", LIST_VERSION_KEY, vary_accept=True),
    )

    def load_demo(self):
        from subprocessors.listing.demo import load_demo

        load_demo()
