from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The tamper-evident audit log: keyed hash chain, signed checkpoints, staff log page."""

    name = "portal.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self):
        from portal.audit import checks  # noqa: F401  (registers the audit-key deployment check)
