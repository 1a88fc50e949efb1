from django.db import migrations

from portal.migration_utils import grant_legal

# Legal staff see every organisation's webhook deliveries (staff home, /staff/webhook-deliveries/) and retry
# failed ones.
LEGAL_PERMISSIONS = ["subprocessors.view_webhookdelivery", "subprocessors.change_webhookdelivery"]


def grant(apps, schema_editor):
    grant_legal(apps, LEGAL_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("subprocessors", "0002_changes_objections_webhooks")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
