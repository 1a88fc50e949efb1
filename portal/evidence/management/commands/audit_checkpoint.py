from django.core.management.base import BaseCommand, CommandError

from portal.core.errors import ApplicationError
from portal.evidence.checkpoints import audit_checkpoint_write


class Command(BaseCommand):
    help = (
        "Write a signed checkpoint of the audit log (row count, head id and hash) to the audit_checkpoints storage "
        "and email it to the legal lead. The beat schedule does this daily."
    )

    def handle(self, *args, **options):
        try:
            checkpoint = audit_checkpoint_write(trigger="command")
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        except OSError as exc:
            raise CommandError(f"The checkpoint could not be stored: {exc}") from exc
        signed = "signed" if checkpoint.signature else "NOT signed (no signing certificate configured)"
        self.stdout.write(
            self.style.SUCCESS(
                f"Checkpoint {checkpoint.name} written, {signed}: {checkpoint.data['row_count']} rows up to id "
                f"{checkpoint.data['head_id']}."
            )
        )
