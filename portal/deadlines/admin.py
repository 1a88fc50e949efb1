from allauth.account.decorators import secure_admin_login
from django.contrib import admin

from portal.core.admin import ReadOnlyAdmin
from portal.deadlines.models import CalendarOverride

# The admin's own login form asks for a password only; send it through the portal's login (allauth), which asks
# for the second factor. Staff pages and the admin then also require that this login passed MFA (middleware).
admin.site.login = secure_admin_login(admin.site.login)


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(ReadOnlyAdmin):
    """Read only: overrides move deadlines, so they are added and removed on Staff → Business calendar, which
    records each change in the audit log."""

    list_display = ("date", "month", "day", "recurrence", "kind", "note")
    list_filter = ("recurrence", "kind")
