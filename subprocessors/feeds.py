"""Atom feed of changes to the list (added, changed, removed rows), newest first."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from subprocessors.selectors import history_revisions

FEED_ITEMS = 100


class ListChangesFeed(Feed):
    feed_type = Atom1Feed
    author_name = settings.PORTAL_PROCESSOR_NAME

    def title(self):
        return f"{settings.PORTAL_PROCESSOR_NAME} sub-processor list changes"

    def subtitle(self):
        return "Sub-processors added to, changed on or removed from the published list."

    def link(self):
        return settings.SITE_URL + reverse("subprocessors_list")

    def feed_guid(self):
        return settings.SITE_URL + reverse("subprocessors_feed")

    def items(self):
        return list(history_revisions()[:FEED_ITEMS])

    def item_title(self, rev):
        return f"{rev.get_kind_display()}: {rev.snapshot.get('name', '')}"

    def item_description(self, rev):
        # Atom readers treat the summary as HTML: escape what came from the database.
        if rev.kind == "changed":
            parts = [f"{c['label']}: {c['before']} → {c['after']}" for c in rev.changes]
            return escape("; ".join(parts) or "Details updated.")
        return escape(f"{rev.snapshot.get('purpose', '')} ({rev.snapshot.get('category', '').replace('_', ' ')})")

    def item_link(self, rev):
        return f"{settings.SITE_URL}{reverse('subprocessors_history')}#change-{rev.pk}"

    def item_guid(self, rev):
        return f"{settings.SITE_URL}{reverse('subprocessors_history')}#change-{rev.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, rev):
        return rev.changed_at

    def item_updateddate(self, rev):
        return rev.changed_at
