from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


class Command(BaseCommand):
    help = "Load demo organisations, users and content (idempotent) and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-without-debug",
            action="store_true",
            help="Load the demo even with DEBUG off (it creates users with a published password).",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["allow_without_debug"]:
            raise CommandError(
                "Refusing to load demo users with a published password while DEBUG is off. "
                "Pass --allow-without-debug for a throw-away staging site."
            )
        # Each app adds its part through `AppConfig.load_demo()`, in INSTALLED_APPS order (lower apps first, so
        # the organisations and the demo signing certificate exist before the DPAs that use them). A loader may
        # return lines to print once everything is committed.
        lines: list[str] = []
        with transaction.atomic():
            for config in apps.get_app_configs():
                loader = getattr(config, "load_demo", None)
                if loader:
                    lines.extend(loader() or [])
        # Printed after the commit, so the demo's own emails (console backend) come out before the logins.
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        for line in lines:
            self.stdout.write(line)
