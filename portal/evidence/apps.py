from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    """Evidence anyone can verify: PAdES signing, issued reports, integrity checks of stored files."""

    name = "portal.evidence"
    label = "evidence"
    verbose_name = "Evidence"

    def ready(self):
        from portal.evidence import registry  # noqa: F401  (issued reports join the evidence-file sweep)
