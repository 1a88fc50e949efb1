from django.contrib import admin

from portal.core.admin import ReadOnlyAdmin
from portal.knowledge.models import Entry, EntryRevision, Topic


@admin.register(Topic)
class TopicAdmin(ReadOnlyAdmin):
    """Read only: topics are changed on Staff → Security FAQ → Topics, which records each change."""

    list_display = ("name", "slug", "order")


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    """Read only: entries are written on Staff → Security FAQ, which saves a revision and an audit event each time."""

    list_display = ("question", "topic", "visibility", "status", "updated_at")
    list_filter = ("status", "visibility", "topic")
    search_fields = ("question", "answer")


@admin.register(EntryRevision)
class EntryRevisionAdmin(ReadOnlyAdmin):
    list_display = ("entry", "number", "status", "visibility", "edited_by", "edited_at")
