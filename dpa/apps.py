from django.apps import AppConfig


class DpaConfig(AppConfig):
    name = "dpa"
    verbose_name = "DPA and trust portal"
    nav_items = [("DPA", "dpa_versions"), ("Documents", "trust_home")]
    staff_nav_items = [
        ("Access requests", "staff_access_queue"),
        ("Auto-approval rules", "staff_access_rules"),
        ("NDA versions", "staff_nda_versions"),
        ("Trust documents", "staff_documents"),
        ("DPA versions", "staff_dpa_versions"),
        ("Signed DPAs", "staff_dpa_executions"),
        ("Breaches", "dpa_staff_breaches"),
        ("Obligations", "dpa_staff_obligations"),
    ]

    def ready(self):
        # Registers the breach register's delivery-event handlers with the outbox, and the stored evidence files
        # (executed DPAs, agreements awaiting signature, trust documents) with the integrity sweep.
        from dpa.selectors import evidence  # noqa: F401
        from dpa.services import breach_delivery  # noqa: F401

    def staff_panels(self, request):
        from dpa.staff_panels import staff_panels

        return staff_panels(request)

    def organisation_sections(self, request, membership):
        from django.template.loader import render_to_string

        from dpa.selectors.access import active_access_for, pending_request_for
        from dpa.views.breaches_customer import breach_sections
        from dpa.views.signing import organisation_section

        grant = active_access_for(request.user)
        access = {"grant": grant, "pending": None if grant else pending_request_for(request.user)}
        access["org"] = membership.organisation
        return [
            organisation_section(request, membership),
            {
                "id": "access",
                "order": 20,
                "title": "Trust-portal documents",
                "html": render_to_string("dpa/includes/org_access_section.html", access, request=request),
                "summary": [
                    {
                        "label": "Your trust-portal access",
                        "html": render_to_string("dpa/includes/home_summary_access.html", access, request=request),
                    }
                ],
            },
            *breach_sections(request, membership),
        ]

    def load_demo(self):
        from dpa.demo import load_demo as load_breaches_demo
        from dpa.demo_access import load_access_demo
        from dpa.demo_versions import load_demo as load_versions_demo

        load_access_demo()
        load_versions_demo()
        load_breaches_demo()
