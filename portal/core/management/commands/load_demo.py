from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from portal.evidence.demo import make_demo_signing
from portal.organisations import demo as foundation


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
        # First: the demo's executed DPAs and reports are signed with it.
        demo_signing = make_demo_signing(settings.PORTAL_SIGNING_DEMO_DIR)
        with transaction.atomic():
            logins = foundation.load()
            # Other apps extend the demo through a `load_demo()` function in their `demo` module.
            for config in apps.get_app_configs():
                loader = getattr(config, "load_demo", None)
                if loader:
                    loader()
        # Printed after the commit, so the demo's own emails (console backend) come out before the logins.
        self.stdout.write(
            self.style.SUCCESS(f"Demo data loaded. Logins (password for all: {foundation.DEMO_PASSWORD}):")
        )
        for email, what in logins:
            self.stdout.write(f"  {email:32} {what}")
        self.stdout.write(
            f"Evidence PDFs are signed with a DEMO ONLY certificate ({'created' if demo_signing.created else 'kept'} "
            f"in {demo_signing.directory}); trust root for validators: {demo_signing.chain_path}"
        )
