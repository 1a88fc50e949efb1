from django.apps import AppConfig


class BackupsConfig(AppConfig):
    """Backup and restore: the database, every private file and checkpoint, a manifest of hashes, checks after."""

    name = "portal.backups"
    label = "backups"
    verbose_name = "Backups"
