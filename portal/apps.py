from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self):
        from portal import checks, receivers  # noqa: F401  (registers the checks, connects the account-event receivers)
        from portal.evidence import register_issued_reports

        register_issued_reports()  # issued reports join the evidence-file sweep once their model exists
