from django.apps import AppConfig


class TrustConfig(AppConfig):
    """The trust portal: NDA, access requests and their decisions, auto-approval rules, trust documents."""

    name = "portal.trust"
    label = "trust"
    verbose_name = "Trust portal access"
    nav_items = ((30, "Documents", "trust:home"),)
    staff_nav_items = (
        (30, "Access requests", "trust:staff_queue"),
        (31, "Auto-approval rules", "trust:staff_rules"),
        (32, "NDA versions", "trust:staff_nda_versions"),
        (33, "Trust documents", "trust:staff_documents"),
    )

    def ready(self):
        from portal.trust import evidence  # noqa: F401  (trust document files join the integrity sweep)

    def staff_panels(self, request):
        from django.utils import timezone

        from portal.trust.staff_panels import access_panel

        return [access_panel(timezone.now())]

    def organisation_sections(self, request, membership):
        from portal.trust.views import organisation_sections

        return organisation_sections(request, membership)

    def load_demo(self):
        from portal.trust.demo import load_access_demo

        load_access_demo()
