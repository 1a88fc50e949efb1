from django.apps import AppConfig


class SigningConfig(AppConfig):
    """Mutually signed DPAs: signature requests, signing, countersigning, the executed PDF and its register."""

    name = "dpa.signing"
    label = "signing"
    verbose_name = "DPA signing"
    staff_nav_items = ((41, "Signed DPAs", "signing:staff_list"),)

    def ready(self):
        # Registers the stored evidence files (executed DPAs, agreements awaiting signature) with the sweep.
        from dpa.signing import evidence  # noqa: F401

    def staff_panels(self, request):
        from django.utils import timezone

        from dpa.signing.staff_panels import countersign_panel

        return [countersign_panel(timezone.now())]

    def organisation_sections(self, request, membership):
        from dpa.signing.views import organisation_section

        return [organisation_section(request, membership)]

    def load_demo(self):
        from dpa.signing.demo import load_demo

        load_demo()
