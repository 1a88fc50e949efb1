from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from portal.demo import foundation


class Command(BaseCommand):
    help = "Load demo organisations, users and content (idempotent) and print the demo logins."

    @transaction.atomic
    def handle(self, *args, **options):
        logins = foundation.load()
        # Other apps extend the demo through a `load_demo()` function in their `demo` module.
        for config in apps.get_app_configs():
            loader = getattr(config, "load_demo", None)
            if loader:
                loader()
        self.stdout.write(
            self.style.SUCCESS(f"Demo data loaded. Logins (password for all: {foundation.DEMO_PASSWORD}):")
        )
        for email, what in logins:
            self.stdout.write(f"  {email:32} {what}")
