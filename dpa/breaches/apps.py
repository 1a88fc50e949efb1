from django.apps import AppConfig


class BreachesConfig(AppConfig):
    """Personal-data breaches: the register, notifications within 48 hours, follow-ups, the evidence report."""

    name = "dpa.breaches"
    label = "breaches"
    verbose_name = "Breaches"
    staff_nav_items = ((50, "Breaches", "breaches:staff_list"),)

    def ready(self):
        # Registers the breach register's delivery-event handlers with the outbox.
        from dpa.breaches import delivery  # noqa: F401

    def staff_panels(self, request):
        from django.utils import timezone

        from dpa.breaches.staff_panels import breach_panel

        return [breach_panel(timezone.now())]

    def organisation_sections(self, request, membership):
        from dpa.breaches.views import breach_sections

        return breach_sections(request, membership)

    def load_demo(self):
        from dpa.breaches.demo import load_demo

        load_demo()
