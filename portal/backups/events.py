"""Audit events of backups: a portal restored from one (appended to the restored log)."""

from portal.audit.event_types import event_type
from portal.audit.models import AuditEvent
from portal.audit.services import Actor, audit_record

BACKUP_RESTORED = event_type("backup.restored", "Portal restored from a backup")


def backup_restored(*, details: dict) -> AuditEvent:
    """From which backup the portal came back and what its checks found."""
    return audit_record(action=BACKUP_RESTORED.action, actor=Actor(label="system (restore command)"), details=details)
