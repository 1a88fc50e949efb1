from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    """Evidence anyone can verify: PAdES signing, issued reports, integrity checks of stored files."""

    name = "portal.evidence"
    label = "evidence"
    verbose_name = "Evidence"

    def ready(self):
        from portal.evidence import checks, registry  # noqa: F401  (deployment checks; issued reports join the sweep)

    def load_demo(self):
        from django.conf import settings

        from portal.evidence.demo import make_demo_signing

        # Before the apps above: the demo's executed DPAs and reports are signed with it.
        made = make_demo_signing(settings.PORTAL_SIGNING_DEMO_DIR)
        return [
            f"Evidence PDFs are signed with a DEMO ONLY certificate ({'created' if made.created else 'kept'} "
            f"in {made.directory}); trust root for validators: {made.chain_path}"
        ]
