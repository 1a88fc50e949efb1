from django.apps import AppConfig


class DpaConfig(AppConfig):
    name = "dpa"
    verbose_name = "DPA"
    nav_items = [("DPA", "dpa_versions")]
    staff_nav_items = [("DPA versions", "staff_dpa_versions"), ("Signed DPAs", "staff_dpa_executions")]

    def staff_panels(self, request):
        from django.urls import reverse

        from dpa.selectors.signing import awaiting_countersignature_count

        return [
            {
                "title": "DPAs to countersign",
                "count": awaiting_countersignature_count(),
                "url": reverse("staff_dpa_executions") + "?status=awaiting_countersignature",
                "link_text": "Countersign",
            }
        ]

    def organisation_sections(self, request, org):
        from dpa.views.signing import organisation_section

        return [organisation_section(request, org)]

    def load_demo(self):
        from dpa.demo_versions import load_demo

        load_demo()
