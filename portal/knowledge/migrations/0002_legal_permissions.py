from django.db import migrations

from portal.core.migration_utils import grant_legal

# What the `legal` group may do in this app (staff pages check these; MFA is checked on top).
LEGAL_PERMISSIONS = [
    "knowledge.add_entry",
    "knowledge.add_topic",
    "knowledge.change_entry",
    "knowledge.change_topic",
    "knowledge.view_entry",
    "knowledge.view_entryrevision",
    "knowledge.view_topic",
]


def forwards(apps, schema_editor):
    grant_legal(apps, LEGAL_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
