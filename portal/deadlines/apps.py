from django.apps import AppConfig


class DeadlinesConfig(AppConfig):
    """The business calendar (holidays, overrides) and the obligations with their due times and reminders."""

    name = "portal.deadlines"
    label = "deadlines"
    verbose_name = "Deadlines and obligations"
    staff_nav_items = ((60, "Obligations", "deadlines:staff_list"),)

    def staff_panels(self, request):
        from django.utils import timezone

        from portal.deadlines.staff_panels import obligation_panel

        return [obligation_panel(timezone.now())]
