from django.apps import AppConfig


class VersionsConfig(AppConfig):
    """DPA versions: drafting, publishing, clause text and diffs, the informational PDF."""

    name = "dpa.versions"
    label = "versions"
    verbose_name = "DPA versions"
    nav_items = ((20, "DPA", "versions:list"),)
    staff_nav_items = ((40, "DPA versions", "versions:staff_list"),)

    def load_demo(self):
        from dpa.versions.demo import load_demo

        load_demo()
