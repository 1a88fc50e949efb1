from allauth.account.decorators import secure_admin_login
from django.contrib import admin

from portal.core.admin import ReadOnlyAdmin
from portal.evidence.models import IssuedReport

# The admin's own login form asks for a password only; send it through the portal's login (allauth), which asks
# for the second factor. Staff pages and the admin then also require that this login passed MFA (middleware).
admin.site.login = secure_admin_login(admin.site.login)


@admin.register(IssuedReport)
class IssuedReportAdmin(ReadOnlyAdmin):
    """Read-only: issued evidence reports are append-only."""

    list_display = ("id", "issued_at", "kind", "label", "issued_by_label", "signed", "sha256")
    list_filter = ("kind", "signed")
    search_fields = ("label", "sha256", "issued_by_label")
