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

    def staff_panels(self, request):
        from subprocessors.staff_panels import staff_panels

        return staff_panels(request)

    def organisation_sections(self, request, org):
        from django.template.loader import render_to_string

        from portal.models import Membership

        is_admin = Membership.objects.filter(user=request.user, organisation=org, role=Membership.Role.ADMIN).exists()
        html = render_to_string(
            "subprocessors/includes/organisation_section.html", {"organisation": org, "is_admin": is_admin}
        )
        return [{"title": "Sub-processor changes", "html": html}]

    def load_demo(self):
        from subprocessors.demo import load_demo
        from subprocessors.demo_changes import load_demo as load_demo_changes

        load_demo()
        load_demo_changes()
