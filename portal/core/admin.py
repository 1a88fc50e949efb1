from allauth.account.decorators import secure_admin_login
from django.contrib import admin

# The admin's own login form asks for a password only; send it through the portal's login (allauth), which asks
# for the second factor. Staff pages and the admin then also require that this login passed MFA (middleware).
# Wrapping the bound method of the one AdminSite instance is the point here, not a mistake mypy should catch.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records changed only through their audited staff pages (or never): the admin shows them, that's all."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
