from django.apps import AppConfig


class SubprocessorsConfig(AppConfig):
    name = "subprocessors"
