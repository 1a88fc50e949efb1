import io
import tempfile
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from portal.backups import postgres
from portal.backups.services import backup_restore, backup_restore_record
from portal.core.errors import ApplicationError

CHECKS = (("audit log", "verify_audit_log"), ("evidence files", "verify_evidence_files"))


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into an empty database and the configured storages, then verify "
        "the audit log and every evidence file. Nothing changes unless every file matches the manifest's SHA-256, "
        "the target database is empty and no stored file would be replaced (--force allows both). Exits non-zero if "
        "anything is refused or a check fails. Stop web, worker and beat first."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("source", help="a backup directory or archive (.tar, .tar.gz, .tgz)")
        parser.add_argument(
            "--database-url",
            help="the database to restore into (postgres://user:password@host:5432/name); default: DATABASE_URL",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="restore into a database that is not empty (what the backup contains is dropped and recreated) and "
            "replace stored files that differ from the backup's",
        )

    def handle(self, *args, **options):
        try:
            with tempfile.TemporaryDirectory(prefix="portal-restore-") as workdir:
                result = backup_restore(
                    source=Path(options["source"]),
                    workdir=Path(workdir),
                    database_url=options["database_url"],
                    force=options["force"],
                    say=self.stdout.write,
                )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        except OSError as exc:
            raise CommandError(f"The restore stopped: {exc}") from exc
        with postgres.default_database(result.database):
            self._migrate_if_behind()
            self.stdout.write("Checking the restored portal:")
            outcomes = {name: self._check(command) for name, command in CHECKS}
            if outcomes["audit log"]:
                backup_restore_record(result=result, checks=outcomes)
            else:
                # a row keyed with a wrong AUDIT_CHAIN_KEY would stay in the log as one nobody can check
                self.stdout.write("The restore is not recorded in the audit log while the log does not verify.")
        failed = [name for name, ok in outcomes.items() if not ok]
        if failed:
            raise CommandError(
                f"The backup was restored, but the {' and the '.join(failed)} check failed (see above): investigate "
                "before starting the portal on it."
            )
        self.stdout.write(self.style.SUCCESS("Restore complete: the audit log and every evidence file verify."))

    def _migrate_if_behind(self) -> None:

        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            self.stdout.write("The backup is from an older release: applying this release's migrations.")
            call_command("migrate", interactive=False, verbosity=1, stdout=self.stdout)

    def _check(self, command: str) -> bool:
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command(command, stdout=out, stderr=err)
            ok = True
        except CommandError as exc:
            err.write(f"{exc}\n")
            ok = False
        for line in (out.getvalue() + err.getvalue()).splitlines():
            self.stdout.write(f"  {line}")
        return ok
