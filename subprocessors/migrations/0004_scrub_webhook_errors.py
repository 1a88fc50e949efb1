"""Deliveries recorded before delivery errors became fixed texts may hold a raw exception (with internal host
names or addresses) that the customer's webhook page shows; replace those with the fixed text."""

import re

from django.db import migrations

FIXED = re.compile(
    r"(HTTP \d{3}|refused: .*|host name does not resolve|connection failed|timed out|TLS .*|Webhook was removed\.)"
)


def _clean(text: str) -> str:
    return text if not text or FIXED.fullmatch(text) else "connection failed"


def forwards(apps, schema_editor):
    WebhookDelivery = apps.get_model("subprocessors", "WebhookDelivery")
    for delivery in WebhookDelivery.objects.exclude(last_error="").iterator():
        log = [{**entry, "error": _clean(entry.get("error") or "")} for entry in delivery.attempt_log]
        error = _clean(delivery.last_error)
        if error != delivery.last_error or log != delivery.attempt_log:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(last_error=error, attempt_log=log)


class Migration(migrations.Migration):
    dependencies = [("subprocessors", "0003_legal_webhook_deliveries")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
