from allauth.account.decorators import secure_admin_login
from django.contrib import admin

from portal.audit.models import AuditEvent
from portal.core.admin import ReadOnlyAdmin

# The admin's own login form asks for a password only; send it through the portal's login (allauth), which asks
# for the second factor. Staff pages and the admin then also require that this login passed MFA (middleware).
admin.site.login = secure_admin_login(admin.site.login)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only: the audit log is append-only, through the ORM and here."""

    list_display = ("id", "created_at", "actor_label", "action", "target_type", "target_id", "ip")
    list_filter = ("action", "target_type")
    search_fields = ("actor_label", "action", "target_id")
