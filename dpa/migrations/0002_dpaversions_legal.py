from django.db import migrations

from portal.migration_utils import grant_legal

LEGAL_PERMISSIONS = [
    "dpa.view_dpaversion",
    "dpa.add_dpaversion",
    "dpa.change_dpaversion",
    "dpa.publish_dpaversion",
    "dpa.view_dpaexecution",
    "dpa.change_dpaexecution",
]


def forwards(apps, schema_editor):
    grant_legal(apps, LEGAL_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("dpa", "0001_dpaversions"), ("portal", "0002_legal_group")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
