"""Helpers for data migrations that give the `legal` group explicit model permissions."""

from django.contrib.auth.management import create_permissions

LEGAL_GROUP = "legal"


def grant_legal(apps, codenames: list[str]) -> None:
    """Create the legal group if needed and grant it `app_label.codename` permissions.

    Permissions are normally created after migrations run, so create them now for the apps involved.
    """
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=LEGAL_GROUP)
    for full in codenames:
        app_label, codename = full.split(".")
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
