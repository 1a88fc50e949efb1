from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    """The one delivery engine: outbox emails and webhook attempts, retries, delivery events."""

    name = "portal.delivery"
    label = "delivery"
    verbose_name = "Email and webhook delivery"

    def staff_panels(self, request):
        from portal.delivery.views import failed_emails_panel

        return [failed_emails_panel()]
