from allauth.account.decorators import secure_admin_login
from django.contrib import admin

from portal.models import (
    ApiToken,
    AuditEvent,
    CalendarOverride,
    Invitation,
    IssuedReport,
    Membership,
    Organisation,
    OutboundEmail,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records changed only through their audited staff pages (or never): the admin shows them, that's all."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "tier", "privacy_contact_email", "breach_contact_email", "created_at")
    list_filter = ("tier",)
    search_fields = ("name", "email_domain", "privacy_contact_email")
    inlines = [MembershipInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "organisation", "role", "expires_at", "accepted_at")
    search_fields = ("email", "organisation__name")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only: the audit log is append-only, through the ORM and here."""

    list_display = ("id", "created_at", "actor_label", "action", "target_type", "target_id", "ip")
    list_filter = ("action", "target_type")
    search_fields = ("actor_label", "action", "target_id")


@admin.register(IssuedReport)
class IssuedReportAdmin(ReadOnlyAdmin):
    """Read-only: issued evidence reports are append-only."""

    list_display = ("id", "issued_at", "kind", "label", "issued_by_label", "signed", "sha256")
    list_filter = ("kind", "signed")
    search_fields = ("label", "sha256", "issued_by_label")


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ("id", "to_email", "subject", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "template")
    search_fields = ("to_email", "subject", "idempotency_key")
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(ReadOnlyAdmin):
    """Read only: overrides move deadlines, so they are added and removed on Staff → Business calendar, which
    records each change in the audit log."""

    list_display = ("date", "month", "day", "recurrence", "kind", "note")
    list_filter = ("recurrence", "kind")


# The admin's own login form asks for a password only; send it through the portal's login (allauth), which asks
# for the second factor. Staff pages and the admin then also require that this login passed MFA (middleware).
admin.site.login = secure_admin_login(admin.site.login)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Read only: tokens are minted on the profile page (the key is shown once) and revoked on Staff → API tokens."""

    list_display = ("name", "user", "prefix", "scope", "staff", "created", "expiry", "last_used_at")
    list_filter = ("scope", "staff")
    search_fields = ("name", "user__email", "token_key")
    readonly_fields = ("name", "user", "scope", "staff", "created", "expiry", "last_used_at", "last_used_ip")
    exclude = ("digest", "token_key", "password_fingerprint")
