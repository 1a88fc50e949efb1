from django.apps import AppConfig


class ObjectionsConfig(AppConfig):
    """Objections to a sub-processor change: the thread, its states, the termination right."""

    name = "subprocessors.objections"
    label = "objections"
    verbose_name = "Objections"
