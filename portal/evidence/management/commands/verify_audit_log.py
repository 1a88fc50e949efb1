from django.core.management.base import BaseCommand, CommandError

from portal.audit.services import audit_verify_chain
from portal.evidence.checkpoints import audit_checkpoints_verify


class Command(BaseCommand):
    help = (
        "Verify the audit log: every row's HMAC (with the key its key id names) and its link to the row before, "
        "then every stored checkpoint (its HMAC and signature, its head row unchanged, no fewer rows than it "
        "recorded). Exits non-zero on any problem."
    )

    def handle(self, *args, **options):
        chain = audit_verify_chain()
        checkpoints = audit_checkpoints_verify()
        for note in checkpoints.notes:
            self.stdout.write(f"Note: {note}")
        problems = chain.problems + checkpoints.problems
        if problems:
            lines = "\n".join(f"- {p}" for p in problems)
            raise CommandError(
                f"Audit log NOT intact ({chain.verified} of {chain.rows} rows verified, {checkpoints.checked} "
                f"checkpoints checked):\n{lines}"
            )
        head = f" up to id {chain.head_id}" if chain.head_id is not None else ""
        latest = checkpoints.latest
        since = f", the newest of {latest.created_at}" if latest else " (none written yet: manage.py audit_checkpoint)"
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit log intact: {chain.verified} rows verified{head}; {checkpoints.checked} checkpoints "
                f"consistent with it{since}."
            )
        )
