from django.contrib import admin

from portal.core.admin import ReadOnlyAdmin
from portal.deadlines.models import CalendarOverride


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(ReadOnlyAdmin):
    """Read only: overrides move deadlines, so they are added and removed on Staff → Business calendar, which
    records each change in the audit log."""

    list_display = ("date", "month", "day", "recurrence", "kind", "note")
    list_filter = ("recurrence", "kind")
