"""Webhook deliveries take the shape every delivery has (portal.models.delivery.Delivery): an idempotency key and
what the delivery is about (ref_type, ref_id). Existing rows get the key `webhook_deliveries_create` now writes, or a
unique one when they belong to no change."""

from django.db import migrations, models

import subprocessors.models.webhooks


def fill(apps, schema_editor):
    WebhookDelivery = apps.get_model("subprocessors", "WebhookDelivery")
    rows = WebhookDelivery.objects.values_list("pk", "webhook_id", "event", "change_id", "delivery_id", "notice_round")
    for pk, webhook_id, event, change_id, delivery_id, notice_round in rows.iterator():
        if change_id is None:
            fields = {"idempotency_key": f"webhook:{delivery_id}"}
        else:
            fields = {
                "idempotency_key": f"webhook:{webhook_id}:{event}:{change_id}"
                + (f":round-{notice_round}" if notice_round else ""),
                "ref_type": "subprocessors.SubprocessorChange",
                "ref_id": str(change_id),
            }
        WebhookDelivery.objects.filter(pk=pk).update(**fields)


class Migration(migrations.Migration):
    dependencies = [("subprocessors", "0005_change_hold")]

    operations = [
        migrations.AddField(
            model_name="webhookdelivery",
            name="idempotency_key",
            field=models.CharField(max_length=200, null=True),
        ),
        migrations.AddField(
            model_name="webhookdelivery",
            name="ref_type",
            field=models.CharField(blank=True, max_length=80),
        ),
        migrations.AddField(
            model_name="webhookdelivery",
            name="ref_id",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="idempotency_key",
            field=models.CharField(
                default=subprocessors.models.webhooks.new_delivery_key, max_length=200, unique=True
            ),
        ),
    ]
