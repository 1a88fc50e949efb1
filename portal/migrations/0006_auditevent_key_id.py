from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0005_calendar_yearly_overrides"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(
                default="", help_text="Id of the audit chain key this row's HMAC was made with.", max_length=32
            ),
            preserve_default=False,
        ),
    ]
