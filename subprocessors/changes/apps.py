from django.apps import AppConfig

from portal.core.page_cache import CachedPage
from subprocessors.listing.apps import LIST_VERSION_KEY


class ChangesConfig(AppConfig):
    """Sub-processor changes and their notice: fan-out, the 10-business-day rule, holds, postponement, the feed."""

    name = "subprocessors.changes"
    label = "changes"
    verbose_name = "Sub-processor changes"
    staff_nav_items = ((20, "Sub-processor changes", "changes:staff_list"),)
    # The feed shows the list's changes: cached whole under the list's version (portal.core.page_cache).
    cached_pages = (CachedPage("changes:feed", LIST_VERSION_KEY, query_keys=()),)

    def ready(self):
        from portal.delivery.events_bus import on_email_delivered
        from subprocessors.changes.notices import notice_delivered

        # When a notice of a change reaches an address: the time the 10-business-day rule checks.
        on_email_delivered("changes.SubprocessorChange")(notice_delivered)

    def load_demo(self):
        from subprocessors.changes.demo import load_demo

        load_demo()
