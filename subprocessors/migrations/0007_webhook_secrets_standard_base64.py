"""Webhook secrets in the form Standard Webhooks libraries decode: `whsec_` + standard base64.

Secrets used to be `whsec_` + `secrets.token_urlsafe(32)`: URL-safe base64 without padding, which those libraries
(strict base64 decoders) refuse or decode to other bytes. The same random bytes are rewritten in standard base64,
so a customer converts the secret they saved the same way (README "Webhooks")."""

import base64
import binascii

from django.db import migrations

PREFIX = "whsec_"


def standard(secret: str) -> str:
    if not secret.startswith(PREFIX):
        return secret
    body = secret[len(PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        return secret
    return PREFIX + base64.b64encode(raw).decode() if raw else secret


def forwards(apps, schema_editor):
    Webhook = apps.get_model("subprocessors", "Webhook")
    for pk, secret in Webhook.objects.values_list("pk", "secret").iterator():
        converted = standard(secret)
        if converted != secret:
            Webhook.objects.filter(pk=pk).update(secret=converted)


class Migration(migrations.Migration):
    dependencies = [("subprocessors", "0006_webhook_delivery_shape")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
