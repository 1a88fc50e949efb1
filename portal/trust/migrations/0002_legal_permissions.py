from django.db import migrations

from portal.core.migration_utils import grant_legal

# What the `legal` group may do in this app (staff pages check these; MFA is checked on top).
LEGAL_PERMISSIONS = ['trust.add_autoapprovalrule', 'trust.add_ndaversion', 'trust.add_trustdocument', 'trust.change_autoapprovalrule', 'trust.change_trustdocument', 'trust.decide_accessrequest', 'trust.delete_autoapprovalrule', 'trust.view_accessrequest', 'trust.view_autoapprovalrule', 'trust.view_ndaversion', 'trust.view_trustdocument']


def forwards(apps, schema_editor):
    grant_legal(apps, LEGAL_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("trust", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
