from django.apps import AppConfig
from django.conf import settings


class DeliveryConfig(AppConfig):
    """The one delivery engine: outbox emails, webhook attempts and staff chat alerts, retries, delivery events."""

    name = "portal.delivery"
    label = "delivery"
    verbose_name = "Email and webhook delivery"

    def staff_panels(self, request):
        from portal.delivery.views import failed_chat_alerts_panel, failed_emails_panel

        panels = [failed_emails_panel()]
        # Only where chat alerts are configured: a portal without them has no queue to show (nor its queries).
        if settings.STAFF_CHAT_WEBHOOK_URL and request.user.has_perm("delivery.view_chatalert"):
            panels.append(failed_chat_alerts_panel())
        return panels
