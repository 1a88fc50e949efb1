from django.contrib import admin

from portal.core.admin import ReadOnlyAdmin
from portal.organisations.models import ApiToken, Invitation, Membership, Organisation


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


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Read only: tokens are minted on the profile page (the key is shown once) and revoked on Staff → API tokens."""

    list_display = ("name", "user", "prefix", "scope", "staff", "created", "expiry", "last_used_at")
    list_filter = ("scope", "staff")
    search_fields = ("name", "user__email", "token_key")
    readonly_fields = ("name", "user", "scope", "staff", "created", "expiry", "last_used_at", "last_used_ip")
    exclude = ("digest", "token_key", "password_fingerprint")
