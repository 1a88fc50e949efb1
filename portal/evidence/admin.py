from django.contrib import admin

from portal.core.admin import ReadOnlyAdmin
from portal.evidence.models import IssuedReport


@admin.register(IssuedReport)
class IssuedReportAdmin(ReadOnlyAdmin):
    """Read-only: issued evidence reports are append-only."""

    list_display = ("id", "issued_at", "kind", "label", "issued_by_label", "signed", "sha256")
    list_filter = ("kind", "signed")
    search_fields = ("label", "sha256", "issued_by_label")
