import json

import pgtrigger
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from portal.audit.event_types import event_label
from portal.audit.keys import audit_mac
from portal.audit.triggers import Refuse, RefuseTruncate


class AppendOnlyError(Exception):
    pass


class AppendOnlyQuerySet(models.QuerySet):
    """Rows that are written once: bulk updates and deletes are refused. `noun` names the rows in the error."""

    noun = "Rows"

    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.noun} cannot be changed.")

    def delete(self):
        raise AppendOnlyError(f"{self.noun} cannot be deleted.")

    def bulk_update(self, *args, **kwargs):
        raise AppendOnlyError(f"{self.noun} cannot be changed.")


class AuditEventQuerySet(AppendOnlyQuerySet):
    noun = "Audit events"


class AuditEvent(models.Model):
    """One row of the tamper-evident audit log.

    `hash` = HMAC-SHA256 with the audit chain key named by `key_id` over `prev_hash` and the row's canonical content
    (portal.audit.keys). Editing a row breaks its HMAC, deleting one breaks the link at the next row, and
    without the key, which is never in the database, nobody can compute a valid replacement chain. Deleting the
    newest rows is caught by the signed checkpoints kept outside the database (portal.evidence.checkpoints).
    The actor is kept as plain id + label so that deleting a user never rewrites history.
    """

    GENESIS = "0" * 64

    created_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=80, db_index=True)
    target_type = models.CharField(max_length=80, blank=True, db_index=True)
    target_id = models.CharField(max_length=64, blank=True)
    organisation_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    key_id = models.CharField(max_length=32, help_text="Id of the audit chain key this row's HMAC was made with.")

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ("-id",)
        permissions = [("export_auditevent", "Can export the audit log")]
        # PostgreSQL refuses the same as the ORM guards below, for raw SQL too (see portal/triggers.py).
        triggers = [
            Refuse(
                name="audit_event_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
                message="audit event % is append-only: it can be neither changed nor deleted.",
                args=("OLD.id",),
                hint="Record a new audit event that corrects it; the hash chain keeps both.",
            ),
            RefuseTruncate(
                name="audit_log_no_truncate",
                protected="TRUE",
                message="% is the append-only audit log and cannot be emptied.",
                args=("TG_TABLE_NAME",),
                hint="Audit events are kept; export them with the audit log export instead.",
            ),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_type}#{self.target_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events cannot be deleted.")

    @property
    def action_label(self) -> str:
        """What staff read for `action`: its declared label, or the code itself when none is declared."""
        return event_label(self.action)

    def content(self) -> dict:
        return {
            "created_at": self.created_at.isoformat(),
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "organisation_id": self.organisation_id,
            "ip": self.ip,
            "details": self.details,
            "key_id": self.key_id,
        }

    def canonical(self) -> str:
        # Round-trip details through JSON so the hash is computed over what the database returns.
        content = json.loads(json.dumps(self.content(), cls=DjangoJSONEncoder))
        return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def compute_hash(self, key: bytes) -> str:
        return audit_mac(key, self.prev_hash + self.canonical())
