from django.apps import AppConfig


class SubprocessorsConfig(AppConfig):
    name = "subprocessors"
    verbose_name = "Sub-processors"
    nav_items = (("Sub-processors", "subprocessors_list"),)
    staff_nav_items = (
        ("Sub-processors", "staff_subprocessors"),
        ("Sub-processor changes", "staff_change_list"),
        ("Webhook deliveries", "staff_webhook_deliveries"),
    )

    def ready(self):
        from portal.services.delivery_events import on_email_delivered
        from subprocessors.services.notices import notice_delivered

        # When a notice of a change reaches an address: the time the 10-business-day rule checks.
        on_email_delivered("subprocessors.SubprocessorChange")(notice_delivered)

    def staff_panels(self, request):
        from subprocessors.staff_panels import staff_panels

        return staff_panels(request)

    def organisation_sections(self, request, membership):
        from subprocessors.views.organisation import organisation_sections

        return organisation_sections(request, membership)

    def load_demo(self):
        from subprocessors.demo import load_demo
        from subprocessors.demo_changes import load_demo as load_demo_changes

        load_demo()
        load_demo_changes()
