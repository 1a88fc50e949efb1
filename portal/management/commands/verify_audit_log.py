from django.core.management.base import BaseCommand, CommandError

from portal.services.audit import audit_verify_chain


class Command(BaseCommand):
    help = "Verify the audit log's SHA-256 hash chain; exit non-zero at the first broken row."

    def handle(self, *args, **options):
        checked, broken, reason = audit_verify_chain()
        if broken is not None:
            raise CommandError(
                f"Audit log broken at row {broken.pk} ({broken.created_at:%Y-%m-%d %H:%M:%S} {broken.action}): "
                f"{reason}. {checked} rows before it verified."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit log intact: {checked} rows verified."))
