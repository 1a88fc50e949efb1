from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.backups.services import backup_create
from portal.core.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Back up the portal: the PostgreSQL database (pg_dump, custom format), every private file and every audit "
        "checkpoint (through the configured storages, disk or bucket), with a manifest.json of their SHA-256 hashes, "
        "the release and the last migration of each app. DEST is a new directory, or an archive when it ends in .tar, "
        ".tar.gz or .tgz. Safe while the portal runs."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("dest", help="a new directory, or a file name ending in .tar, .tar.gz or .tgz")

    def handle(self, *args, **options):
        try:
            result = backup_create(dest=Path(options["dest"]), say=self.stdout.write)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        except OSError as exc:
            raise CommandError(f"The backup could not be written: {exc}") from exc
        manifest = result.manifest
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup written to {result.path}: the database ({manifest['database']['size']} bytes) and "
                f"{len(manifest['files'])} files. SHA-256 of its manifest.json: {result.manifest_sha256} (keep it "
                "apart from the backup to tell later that the manifest is the one written now)."
            )
        )
