"""Breach notices: "sent" becomes "queued"; delivery (time and Message-ID) and failure are recorded from the outbox;
the awareness time keeps its earliest value and a history of changes. Columns are added nullable here, filled
by 0007 and constrained by 0008, so no migration alters a table it has just written rows to."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

STATUS_CHOICES = [
    ("drafted", "Drafted"),
    ("queued", "Queued"),
    ("delivered", "Delivered"),
    ("acknowledged", "Acknowledged"),
    ("failed", "Delivery failed"),
]


def delivery_fields(model_name, default_status):
    return [
        migrations.AddField(
            model_name=model_name,
            name="status",
            field=models.CharField(choices=STATUS_CHOICES, db_index=True, default=default_status, max_length=12),
        ),
        migrations.AddField(
            model_name=model_name,
            name="email",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="portal.outboundemail",
            ),
        ),
        migrations.AddField(
            model_name=model_name, name="delivered_at", field=models.DateTimeField(blank=True, null=True)
        ),
        migrations.AddField(
            model_name=model_name, name="delivered_message_id", field=models.CharField(blank=True, max_length=255)
        ),
        migrations.AddField(model_name=model_name, name="failed_at", field=models.DateTimeField(blank=True, null=True)),
        migrations.AddField(model_name=model_name, name="failure_reason", field=models.TextField(blank=True)),
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("dpa", "0006_execution_annex_as_signed"),
        ("portal", "0004_outbox_message_id"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="breachnotification", name="breach_ack_after_send"),
        migrations.RenameField(model_name="breachnotification", old_name="sent_at", new_name="queued_at"),
        migrations.RenameField(model_name="breachnotification", old_name="sent_by", new_name="queued_by"),
        migrations.RenameField(model_name="breachfollowup", old_name="sent_at", new_name="queued_at"),
        migrations.RenameField(model_name="breachfollowup", old_name="sent_by", new_name="queued_by"),
        *[
            migrations.AlterField(
                model_name=model_name,
                name="queued_by",
                field=models.ForeignKey(
                    blank=True,
                    null=True,
                    on_delete=django.db.models.deletion.SET_NULL,
                    related_name="+",
                    to=settings.AUTH_USER_MODEL,
                ),
            )
            for model_name in ("breachnotification", "breachfollowup")
        ],
        *delivery_fields("breachnotification", "drafted"),
        *delivery_fields("breachfollowup", "queued"),
        migrations.AlterField(
            model_name="breachincident",
            name="aware_at",
            field=models.DateTimeField(help_text="When we became aware of the breach, as last recorded."),
        ),
        migrations.AddField(
            model_name="breachincident",
            name="earliest_aware_at",
            field=models.DateTimeField(
                null=True, help_text="The earliest awareness time ever recorded: the 48-hour clock starts here."
            ),
        ),
        migrations.CreateModel(
            name="BreachAwarenessChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("before", models.DateTimeField()),
                ("after", models.DateTimeField()),
                ("earliest_before", models.DateTimeField()),
                ("earliest_after", models.DateTimeField()),
                ("reason", models.TextField()),
                ("after_notice", models.BooleanField(default=False)),
                ("changed_by_label", models.CharField(blank=True, max_length=254)),
                (
                    "changed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "incident",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="awareness_changes",
                        to="dpa.breachincident",
                    ),
                ),
            ],
            options={"ordering": ("incident_id", "created_at", "id"), "abstract": False, "get_latest_by": "created_at"},
        ),
    ]
