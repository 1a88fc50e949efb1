from django.apps import AppConfig


class DpaConfig(AppConfig):
    name = "dpa"
