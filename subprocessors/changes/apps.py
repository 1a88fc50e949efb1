from django.apps import AppConfig


class ChangesConfig(AppConfig):
    """Sub-processor changes and their notice: fan-out, the 10-business-day rule, holds, postponement, the feed."""

    name = "subprocessors.changes"
    label = "changes"
    verbose_name = "Sub-processor changes"
    staff_nav_items = ((20, "Sub-processor changes", "changes:staff_list"),)

    def ready(self):
        from portal.delivery.events_bus import on_email_delivered
        from subprocessors.changes.notices import notice_delivered

        # When a notice of a change reaches an address: the time the 10-business-day rule checks.
        on_email_delivered("changes.SubprocessorChange")(notice_delivered)

    def load_demo(self):
        from subprocessors.changes.demo import load_demo

        load_demo()
