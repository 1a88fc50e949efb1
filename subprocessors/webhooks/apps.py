from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Customer webhooks: endpoints, one signed delivery per change event, retries, the staff delivery log."""

    name = "subprocessors.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
    staff_nav_items = ((21, "Webhook deliveries", "webhooks:staff_deliveries"),)

    def ready(self):
        from subprocessors.changes.signals import change_event
        from subprocessors.webhooks.services import on_change_event

        change_event.connect(on_change_event, dispatch_uid="webhooks.on_change_event")

    def staff_panels(self, request):
        from django.utils import timezone

        from subprocessors.webhooks.staff_panels import webhooks_panel

        return [webhooks_panel(timezone.now())]
