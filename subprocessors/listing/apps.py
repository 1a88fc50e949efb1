from django.apps import AppConfig


class ListingConfig(AppConfig):
    """The public sub-processor list: entries, revisions, history, filters, CSV/JSON/PDF exports, the API."""

    name = "subprocessors.listing"
    label = "listing"
    verbose_name = "Sub-processor list"
    nav_items = ((10, "Sub-processors", "listing:list"),)
    staff_nav_items = ((10, "Sub-processors", "listing:staff_list"),)

    def load_demo(self):
        from subprocessors.listing.demo import load_demo

        load_demo()
