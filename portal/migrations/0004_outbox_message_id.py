from django.db import migrations, models

import portal.models.outbox


def fill(apps, schema_editor):
    # AddField computes a callable default once for every existing row; give each row its own Message-ID.
    OutboundEmail = apps.get_model("portal", "OutboundEmail")
    for pk in OutboundEmail.objects.values_list("pk", flat=True).iterator():
        OutboundEmail.objects.filter(pk=pk).update(message_id=portal.models.outbox.new_message_id())


class Migration(migrations.Migration):
    dependencies = [("portal", "0003_api_tokens")]

    operations = [
        migrations.AddField(
            model_name="outboundemail",
            name="message_id",
            field=models.CharField(default=portal.models.outbox.new_message_id, editable=False, max_length=255),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
