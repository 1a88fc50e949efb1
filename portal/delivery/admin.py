from django.contrib import admin

from portal.delivery.models import ChatAlert, OutboundEmail


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


@admin.register(ChatAlert)
class ChatAlertAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "kind")
    search_fields = ("text", "idempotency_key")
    readonly_fields = [f.name for f in ChatAlert._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
