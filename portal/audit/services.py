"""Writing the tamper-evident audit log. Every state change of legal weight records an event through its app's
`events.py` (one typed function per event type, see portal.audit.event_types), which calls `audit_record` inside
the same transaction as the change."""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection, transaction
from django.db.models import Model
from django.forms.models import model_to_dict
from django.utils import timezone

from portal.audit.event_types import AUDIT_KEY_ROTATED
from portal.audit.keys import audit_current_key, audit_known_keys
from portal.audit.models import AuditEvent
from portal.core.clients import client_ip

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Arbitrary constant: the advisory-lock key that serialises appends to the chain on PostgreSQL.
_AUDIT_LOCK_KEY = 0x41554449
_MAX_LISTED = 20


def snapshot(instance: Model, fields: list[str] | None = None) -> dict:
    """A JSON-friendly dict of a model's fields, for before/after details."""
    data = model_to_dict(instance, fields=fields)
    return {
        k: (str(v) if not isinstance(v, str | int | float | bool | type(None) | list | dict) else v)
        for k, v in data.items()
    }


def diff(before: dict, after: dict) -> dict:
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    return {"before": {k: before.get(k) for k in sorted(changed)}, "after": {k: after.get(k) for k in sorted(changed)}}


@dataclass
class Actor:
    """Who did it, when not a logged-in user (a signatory link, the system, a subscriber)."""

    label: str
    user: "User | None" = None


# Who an event is recorded for: a user (request.user included), an Actor, or None for "the system".
AuditActor = Actor | AbstractBaseUser | AnonymousUser | None


@transaction.atomic
def audit_record(
    *,
    action: str,
    actor=None,
    target: Model | None = None,
    target_type: str = "",
    target_id: str | int = "",
    organisation=None,
    request=None,
    details: dict | None = None,
) -> AuditEvent:
    audit_lock()
    user = None
    label = "system"
    if isinstance(actor, Actor):
        user, label = actor.user, actor.label
    elif actor is not None and getattr(actor, "is_authenticated", False):
        user, label = actor, actor.email
    request_user = getattr(request, "user", None)
    if user is None and request_user is not None and request_user.is_authenticated:
        user, label = request_user, request_user.email
    if target is not None:
        target_type = target_type or target._meta.label
        target_id = target_id or target.pk
    key_id, key = audit_current_key()
    last = AuditEvent.objects.order_by("-id").values_list("hash", "key_id").first()
    prev_hash = last[0] if last else AuditEvent.GENESIS
    if last and last[1] != key_id:
        # The first row keyed with a new key says so: the boundary of a rotation is itself in the chain.
        prev_hash = _append(
            AuditEvent(
                action=AUDIT_KEY_ROTATED.action,
                actor_label="system",
                details={"from_key_id": last[1], "to_key_id": key_id},
            ),
            prev_hash=prev_hash,
            key_id=key_id,
            key=key,
        ).hash
    event = AuditEvent(
        actor=user,
        actor_label=label,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        organisation_id=getattr(organisation, "pk", organisation),
        ip=client_ip(request),
        details=details or {},
    )
    return _append(event, prev_hash=prev_hash, key_id=key_id, key=key)


def audit_lock() -> None:
    """Serialise appends to the chain (and checkpoints reading its head) until the transaction ends."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_AUDIT_LOCK_KEY])


def _append(event: AuditEvent, *, prev_hash: str, key_id: str, key: bytes) -> AuditEvent:
    event.created_at = timezone.now()
    event.prev_hash = prev_hash
    event.key_id = key_id
    event.hash = event.compute_hash(key)
    event.save()
    return event


@dataclass
class _Run:
    """Consecutive rows whose HMAC does not match (ids in chain order)."""

    first_id: int
    last_id: int
    count: int = 1


@dataclass
class ChainReport:
    """What `audit_verify_chain` found. `problems` is empty when every row verified."""

    rows: int = 0
    verified: int = 0
    head_id: int | None = None
    head_hash: str = ""
    first_id: int | None = None
    bad_runs: list[_Run] = field(default_factory=list)
    broken_links: list[int] = field(default_factory=list)
    broken_link_count: int = 0
    unknown_keys: dict[str, _Run] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.bad_runs or self.broken_link_count or self.unknown_keys)

    @property
    def problems(self) -> list[str]:
        return self._link_problems() + self._mac_problems() + self._key_problems()

    def _mac_problems(self) -> list[str]:
        lines = []
        for run in self.bad_runs[:_MAX_LISTED]:
            if run.count == self.rows:
                lines.append(
                    f"Every row ({run.count}) fails its HMAC: the whole chain was rewritten without the key (or "
                    "AUDIT_CHAIN_KEY is not the key the log was written with)."
                )
            elif run.count > 1:
                lines.append(
                    f"Rows {run.first_id} to {run.last_id} ({run.count} rows) fail their HMACs: they were rewritten "
                    "without the key."
                )
            else:
                lines.append(f"Row {run.first_id} was edited: its HMAC does not match its content.")
        if len(self.bad_runs) > _MAX_LISTED:
            lines.append(f"… and {len(self.bad_runs) - _MAX_LISTED} more edited stretches of rows.")
        return lines

    def _link_problems(self) -> list[str]:
        lines = []
        for row_id in self.broken_links:
            if row_id == self.first_id:
                lines.append(f"The first row ({row_id}) does not start the chain: older rows were deleted.")
            else:
                lines.append(
                    f"Row {row_id} does not follow the row before it (its previous hash does not match): rows "
                    "before it were deleted, or the row before it was rewritten."
                )
        if self.broken_link_count > len(self.broken_links):
            lines.append(f"… and {self.broken_link_count - len(self.broken_links)} more broken links.")
        return lines

    def _key_problems(self) -> list[str]:
        return [
            f"{run.count} rows (ids {run.first_id} to {run.last_id}) were keyed with key id {key_id}, which is not "
            "configured, so they cannot be checked: add that retired key to AUDIT_CHAIN_OLD_KEYS."
            for key_id, run in self.unknown_keys.items()
        ]


def audit_verify_chain(batch_size: int = 2000) -> ChainReport:
    """Walk the whole chain in id order, checking every row's link to the row before it and its HMAC with the key
    its `key_id` names. Every problem is collected, so the report tells one edited row from a rewritten chain."""
    keys = audit_known_keys()
    report = ChainReport()
    prev = AuditEvent.GENESIS
    bad_tail = False  # the row before this one failed its HMAC
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=batch_size):
        report.rows += 1
        if report.first_id is None:
            report.first_id = event.pk
        if event.prev_hash != prev:
            report.broken_link_count += 1
            if len(report.broken_links) < _MAX_LISTED:
                report.broken_links.append(event.pk)
        prev = event.hash
        report.head_id, report.head_hash = event.pk, event.hash
        key = keys.get(event.key_id)
        if key is None:
            _extend(report.unknown_keys, event.key_id, event.pk)
            bad_tail = False
        elif event.compute_hash(key) != event.hash:
            if bad_tail:
                report.bad_runs[-1].last_id = event.pk
                report.bad_runs[-1].count += 1
            else:
                report.bad_runs.append(_Run(event.pk, event.pk))
            bad_tail = True
        else:
            report.verified += 1
            bad_tail = False
    return report


def _extend(runs: dict, key_id: str, row_id: int) -> None:
    run = runs.get(key_id)
    if run is None:
        runs[key_id] = _Run(row_id, row_id)
    else:
        run.last_id = row_id
        run.count += 1
