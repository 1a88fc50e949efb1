from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app builds on: the base model, forms, errors, request limits, health, metrics, checks."""

    name = "portal.core"
    label = "core"
    verbose_name = "Portal core"

    def ready(self):
        from portal.core import checks  # noqa: F401  (registers the deployment checks)
