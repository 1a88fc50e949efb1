from django.apps import AppConfig


class StaffConfig(AppConfig):
    """The staff console shell: home with each app's panels, navigation, sortable tables."""

    name = "portal.staff"
    label = "staff"
    verbose_name = "Staff console"
