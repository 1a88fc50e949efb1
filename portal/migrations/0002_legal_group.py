from django.db import migrations

from portal.migration_utils import grant_legal

LEGAL_PERMISSIONS = [
    "portal.view_organisation",
    "portal.change_organisation",
    "portal.view_membership",
    "portal.view_auditevent",
    "portal.export_auditevent",
    "portal.view_outboundemail",
    "portal.retry_outboundemail",
    "portal.view_calendaroverride",
    "portal.add_calendaroverride",
    "portal.change_calendaroverride",
    "portal.delete_calendaroverride",
]


def forwards(apps, schema_editor):
    grant_legal(apps, LEGAL_PERMISSIONS)


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="legal").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
