"""Atom feed of the list: changes to rows (added, changed, removed) and announced changes (with the full notice:
who the sub-processor is, where it processes, the dates and how to object; and their postponement, hold or
withdrawal), newest first."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from subprocessors.changes.models import SubprocessorChange
from subprocessors.listing.selectors import history_revisions

FEED_ITEMS = 100


@dataclass
class FeedEntry:
    title: str
    summary: str  # plain text; escaped for the feed's HTML summary
    link: str
    guid: str
    at: datetime


def _revision_entries() -> list[FeedEntry]:
    history = settings.SITE_URL + reverse("listing:history")
    entries = []
    for rev in history_revisions()[:FEED_ITEMS]:
        if rev.kind == "changed":
            summary = "; ".join(f"{c['label']}: {c['before']} → {c['after']}" for c in rev.changes)
        else:
            summary = f"{rev.snapshot.get('purpose', '')} ({rev.snapshot.get('category', '').replace('_', ' ')})"
        entries.append(
            FeedEntry(
                title=f"{rev.get_kind_display()}: {rev.snapshot.get('name', '')}",
                summary=summary or "Details updated.",
                link=f"{history}#change-{rev.pk}",
                guid=f"{history}#change-{rev.pk}",
                at=rev.changed_at,
            )
        )
    return entries


def _notice_text(change: SubprocessorChange) -> str:
    """The notice as the emails state it (the same include), for a feed entry."""
    return render_to_string("changes/includes/change_summary.txt", {"change": change}).strip()


def _announcement_entries() -> list[FeedEntry]:
    page = settings.SITE_URL + reverse("listing:list")
    changes = (
        SubprocessorChange.objects.filter(announced_at__isnull=False)
        .select_related("subprocessor", "replaces")
        .order_by("-announced_at")[:FEED_ITEMS]
    )
    entries = []
    for change in changes:
        assert change.announced_at is not None  # filtered above
        notice = _notice_text(change)
        effective = f"{change.effective_date.day} {change.effective_date:%B %Y}"
        entries.append(
            FeedEntry(
                title=f"Announced: {change.headline} (from {effective})",
                summary=f"Takes effect on {effective}.\n\n{notice}",
                link=f"{page}#upcoming-changes",
                guid=f"{page}#announcement-{change.public_id}",
                at=change.announced_at,
            )
        )
        if change.postponed_at:
            entries.append(
                FeedEntry(
                    title=f"Postponed: {change.headline} (now from {effective})",
                    summary=f"{change.postponement_reason}\n\n{notice}",
                    link=f"{page}#upcoming-changes",
                    guid=f"{page}#postponement-{change.public_id}-{change.postponements}",
                    at=change.postponed_at,
                )
            )
        if change.held_at:
            entries.append(
                FeedEntry(
                    title=f"On hold: {change.headline}",
                    summary=notice,
                    link=f"{page}#upcoming-changes",
                    guid=f"{page}#hold-{change.public_id}-{change.postponements}",
                    at=change.held_at,
                )
            )
        if change.withdrawn_at:
            entries.append(
                FeedEntry(
                    title=f"Withdrawn: {change.headline}",
                    summary=change.withdrawal_reason or "The announced change will not take place.",
                    link=f"{page}#upcoming-changes",
                    guid=f"{page}#withdrawal-{change.public_id}",
                    at=change.withdrawn_at,
                )
            )
    return entries


class ListChangesFeed(Feed):
    feed_type = Atom1Feed
    author_name = settings.PORTAL_PROCESSOR_NAME
    item_guid_is_permalink = False

    def title(self):
        return f"{settings.PORTAL_PROCESSOR_NAME} sub-processor list changes"

    def subtitle(self):
        return "Sub-processors added to, changed on or removed from the published list, and announced changes."

    def link(self):
        return settings.SITE_URL + reverse("listing:list")

    def feed_url(self):
        return settings.SITE_URL + reverse("changes:feed")

    def feed_guid(self):
        return settings.SITE_URL + reverse("changes:feed")

    def items(self):
        entries = _revision_entries() + _announcement_entries()
        entries.sort(key=lambda e: e.at, reverse=True)
        return entries[:FEED_ITEMS]

    def item_title(self, entry):
        return entry.title

    def item_description(self, entry):
        # Atom readers treat the summary as HTML: escape what came from the database, keep the notice's lines.
        return escape(entry.summary).replace("\n", "<br>")

    def item_link(self, entry):
        return entry.link

    def item_guid(self, entry):
        return entry.guid

    def item_pubdate(self, entry):
        return entry.at

    def item_updateddate(self, entry):
        return entry.at
