from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class AuditConfig(AppConfig):
    """The tamper-evident audit log: keyed hash chain, signed checkpoints, staff log page."""

    name = "portal.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self):
        from portal.audit import checks  # noqa: F401  (registers the audit-key deployment check)

        # Every app declares its event types in its `events` module; importing them all here (as the admin finds
        # `admin` modules) lets the log label rows of apps above this one without importing them.
        autodiscover_modules("events")
