"""Signed checkpoints of the audit chain, kept outside the database they vouch for.

A checkpoint records how long the chain was (row count, head id and hash) at a moment, keyed with the audit chain
key (`hmac`) and signed with the portal's certificate (`.json.p7s`, a detached CMS signature carrying an RFC 3161
timestamp when a TSA is configured). It lives in the `audit_checkpoints` storage and is emailed to the legal lead,
so deleting the newest audit rows, which leaves a valid shorter chain, no longer goes unnoticed.
"""

import base64
import json
import textwrap
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone

from portal.audit.keys import audit_current_key, audit_known_keys, audit_mac
from portal.audit.models import AuditEvent
from portal.audit.services import audit_lock
from portal.delivery.outbox import email_queue
from portal.evidence import events, signing

STORAGE_ALIAS = "audit_checkpoints"
PREFIX = "checkpoint-"
SIGNATURE_SUFFIX = ".p7s"
CHECKPOINT_NOT_STORED = "The checkpoint could not be stored: the checkpoint storage is not writable."
FIELDS = ("version", "created_at", "row_count", "head_id", "head_hash", "key_id", "processor", "site")


def checkpoint_storage():
    return storages[STORAGE_ALIAS]


@dataclass(frozen=True)
class Checkpoint:
    name: str
    data: dict
    raw: bytes
    signature: bytes | None

    @property
    def created_at(self) -> str:
        return str(self.data.get("created_at", "?"))


def _canonical(data: dict) -> str:
    return json.dumps({k: data.get(k) for k in FIELDS}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _chain_head() -> tuple[int, int | None, str]:
    """(row count, head id, head hash), read while no append can interleave."""
    with transaction.atomic():
        audit_lock()
        head = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
        count = AuditEvent.objects.count()
    return count, (head[0] if head else None), (head[1] if head else "")


def _checkpoint_bytes(now: datetime) -> bytes:
    count, head_id, head_hash = _chain_head()
    key_id, key = audit_current_key()
    data = {
        "version": 1,
        "created_at": now.isoformat().replace("+00:00", "Z"),
        "row_count": count,
        "head_id": head_id,
        "head_hash": head_hash,
        "key_id": key_id,
        "processor": settings.PORTAL_PROCESSOR_NAME,
        "site": settings.SITE_URL,
    }
    data["hmac"] = audit_mac(key, _canonical(data))
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def audit_checkpoint_write(*, trigger: str, actor=None, request=None) -> Checkpoint:
    """Write a checkpoint of the chain as it is now, sign it, store it, email it to the legal lead and record it.
    `trigger`: "schedule", "command" or "staff". Raises signing.SigningFailed (nothing written) when signing is
    configured but fails, and OSError when the storage cannot be written."""
    now = timezone.now()
    raw = _checkpoint_bytes(now)
    signature = signing.sign_data(raw)
    storage = checkpoint_storage()
    name = storage.save(f"{PREFIX}{now:%Y%m%dT%H%M%SZ}.json", ContentFile(raw))
    if signature is not None:
        storage.save(name + SIGNATURE_SUFFIX, ContentFile(signature))
    checkpoint = Checkpoint(name=name, data=json.loads(raw), raw=raw, signature=signature)
    with transaction.atomic():
        events.audit_checkpoint_written(checkpoint=checkpoint, trigger=trigger, actor=actor, request=request)
        _email(checkpoint)
    return checkpoint


def _email(checkpoint: Checkpoint) -> None:
    def wrapped(data: bytes) -> str:
        return "\n".join(textwrap.wrap(base64.b64encode(data).decode(), 76))

    email_queue(
        key=f"audit-checkpoint:{checkpoint.name}",
        to=settings.PORTAL_LEGAL_LEAD_EMAIL,
        template="audit_checkpoint",
        context={
            "checkpoint": checkpoint,
            "json_text": checkpoint.raw.decode(),
            "json_base64": wrapped(checkpoint.raw),
            "signature_base64": wrapped(checkpoint.signature) if checkpoint.signature else "",
        },
    )


def audit_checkpoints() -> list[Checkpoint]:
    """Every stored checkpoint, oldest first."""
    storage = checkpoint_storage()
    names = sorted(n for n in _stored_names(storage) if n.startswith(PREFIX) and n.endswith(".json"))
    return [_load(storage, name) for name in names]


def _stored_names(storage) -> list[str]:
    """The file names at the storage's top level. A directory not created yet holds none; a bucket prefix has no
    `exists()` of its own (an S3 "folder" is not an object), so the listing is the only test that works for both."""
    try:
        return storage.listdir("")[1]
    except (FileNotFoundError, NotADirectoryError):
        return []


def _load(storage, name: str) -> Checkpoint:
    with storage.open(name, "rb") as handle:
        raw = handle.read()
    signature = None
    if storage.exists(name + SIGNATURE_SUFFIX):
        with storage.open(name + SIGNATURE_SUFFIX, "rb") as handle:
            signature = handle.read()
    try:
        data = json.loads(raw)
    except ValueError:
        data = {}
    return Checkpoint(name=name, data=data if isinstance(data, dict) else {}, raw=raw, signature=signature)


def audit_checkpoint_latest() -> Checkpoint | None:
    checkpoints = audit_checkpoints()
    return checkpoints[-1] if checkpoints else None


@dataclass
class CheckpointReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    latest: Checkpoint | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def audit_checkpoints_verify() -> CheckpointReport:
    """Check every stored checkpoint: untouched (its HMAC and signature) and still consistent with the log (the row
    at its head unchanged, no fewer rows than it recorded)."""
    report = CheckpointReport()
    keys = audit_known_keys()
    count = AuditEvent.objects.count()
    last_id = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    storage = checkpoint_storage()
    checkpoints = audit_checkpoints()
    for checkpoint in checkpoints:
        report.checked += 1
        untouched = _check_file(checkpoint, keys, report)
        if untouched:
            _check_against_log(checkpoint, count, last_id, report)
    report.latest = checkpoints[-1] if checkpoints else None
    names = {c.name for c in checkpoints}
    for orphan in sorted(n for n in _stored_names(storage) if n.endswith(SIGNATURE_SUFFIX)):
        if orphan.removesuffix(SIGNATURE_SUFFIX) not in names:
            report.problems.append(f"{orphan} has no checkpoint next to it: the checkpoint file was deleted.")
    return report


def _check_file(checkpoint: Checkpoint, keys: dict, report: CheckpointReport) -> bool:
    """Is the file as it was written? Adds the reasons to `report` when not."""
    name, data = checkpoint.name, checkpoint.data
    if not data or any(k not in data for k in (*FIELDS, "hmac")):
        report.problems.append(f"{name} is not a complete checkpoint: the file was tampered with or damaged.")
        return False
    key = keys.get(data["key_id"])
    if key is None:
        report.problems.append(
            f"{name} is keyed with key id {data['key_id']}, which is not configured: add that retired key to "
            "AUDIT_CHAIN_OLD_KEYS to check it."
        )
        return False
    untouched = True
    if audit_mac(key, _canonical(data)) != data["hmac"]:
        report.problems.append(f"{name} was tampered with: its HMAC does not match its content.")
        untouched = False
    if checkpoint.signature is None:
        report.notes.append(f"{name} is not signed (no signing certificate was configured when it was written).")
        return untouched
    result = signing.verify_data(checkpoint.raw, checkpoint.signature)
    if not result.valid:
        report.problems.append(f"The signature of {name} does not verify: {result.reason}")
        return False
    if not result.ours:
        report.notes.append(f"{name} is signed by {result.signer}, not by the portal's current certificate.")
    return untouched


def _check_against_log(checkpoint: Checkpoint, count: int, last_id: int | None, report: CheckpointReport) -> None:
    data = checkpoint.data
    recorded = f"The checkpoint of {checkpoint.created_at} recorded {data['row_count']} rows"
    head_id = data["head_id"]
    if head_id is not None:
        head_hash = AuditEvent.objects.filter(pk=head_id).values_list("hash", flat=True).first()
        if head_hash is None and (last_id is None or last_id < head_id):
            ends = f"ends at id {last_id}" if last_id is not None else "is empty"
            report.problems.append(f"{recorded} up to id {head_id}; the log now {ends}: the newest rows were deleted.")
            return
        if head_hash is None:
            report.problems.append(f"{recorded} up to id {head_id}; row {head_id} no longer exists.")
        elif head_hash != data["head_hash"]:
            report.problems.append(f"{recorded} up to id {head_id}; row {head_id} has changed since.")
    if count < data["row_count"]:
        report.problems.append(f"{recorded}; the log now has {count}: rows were deleted.")
