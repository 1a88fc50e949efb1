"""Re-chain existing audit rows with the keyed HMAC (AUDIT_CHAIN_KEY at migration time).

No release had the unkeyed SHA-256 chain, so only development databases have such rows; after this they verify
like any other. On PostgreSQL the table's own triggers (the append-only guard that forbids UPDATE, whether it is
installed before or after this migration) are disabled for this transaction only: `ALTER TABLE ... DISABLE TRIGGER
USER` needs only table ownership, not a superuser, and is undone before the transaction commits.
"""

from django.db import migrations


def rekey(apps, schema_editor):
    from portal.services.audit_keys import audit_current_key, audit_mac

    AuditEvent = apps.get_model("portal", "AuditEvent")
    if not AuditEvent.objects.exists():
        return
    key_id, key = audit_current_key()
    table = schema_editor.quote_name(AuditEvent._meta.db_table)
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    prev = "0" * 64
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        new_hash = audit_mac(key, prev + _canonical(event, key_id))
        AuditEvent._base_manager.filter(pk=event.pk).update(prev_hash=prev, hash=new_hash, key_id=key_id)
        prev = new_hash
    if postgres:
        schema_editor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


def _canonical(event, key_id: str) -> str:
    """The row's content as AuditEvent.canonical() has it (historical models have no methods)."""
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    content = {
        "created_at": event.created_at.isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "organisation_id": event.organisation_id,
        "ip": event.ip,
        "details": event.details,
        "key_id": key_id,
    }
    content = json.loads(json.dumps(content, cls=DjangoJSONEncoder))
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0006_auditevent_key_id"),
    ]

    operations = [
        migrations.RunPython(rekey, migrations.RunPython.noop),
    ]
