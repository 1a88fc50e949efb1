from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app builds on: the base model, forms, errors, request limits, health, metrics, checks."""

    name = "portal.core"
    label = "core"
    verbose_name = "Portal core"

    def ready(self):
        from django.utils.module_loading import autodiscover_modules

        from portal.core import checks  # noqa: F401  (registers the deployment checks)

        # Every app's tasks module, so that enqueue modules can name tasks (portal.core.enqueue.task) instead of
        # importing them; the worker imports the same modules through Celery's autodiscovery.
        autodiscover_modules("tasks")
