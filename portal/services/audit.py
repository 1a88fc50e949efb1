"""Writing the tamper-evident audit log. Every state change of legal weight calls `audit_record`
inside the same transaction as the change."""

import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model
from django.forms.models import model_to_dict
from django.utils import timezone

from portal.models import AuditEvent

# Arbitrary constant: the advisory-lock key that serialises appends to the chain on PostgreSQL.
_AUDIT_LOCK_KEY = 0x41554449


def client_ip(request) -> str | None:
    """The client's address as recorded for NDAs, signatures, downloads and rate limits.

    Behind a reverse proxy REMOTE_ADDR is the proxy. With ALLAUTH_TRUSTED_CLIENT_IP_HEADER set (env
    TRUSTED_CLIENT_IP_HEADER, e.g. CF-Connecting-IP) that header is used; with ALLAUTH_TRUSTED_PROXY_COUNT = n
    (env TRUSTED_PROXY_COUNT) the n-th X-Forwarded-For entry from the right, the one our own proxies appended.
    Entries further left are set by the client and never trusted. The same settings drive allauth's limits.
    """
    if request is None:
        return None
    header = settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER
    count = settings.ALLAUTH_TRUSTED_PROXY_COUNT
    candidate = None
    if header:
        candidate = request.headers.get(header, "")
    elif count > 0:
        hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",") if hop.strip()]
        if len(hops) >= count:
            candidate = hops[-count]
    if candidate:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            pass  # a malformed header falls back to the connection's address
    return request.META.get("REMOTE_ADDR") or None


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
    user: object | None = None


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
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_AUDIT_LOCK_KEY])
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
    last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    event = AuditEvent(
        created_at=timezone.now(),
        actor=user,
        actor_label=label,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        organisation_id=getattr(organisation, "pk", organisation),
        ip=client_ip(request),
        details=details or {},
        prev_hash=last or AuditEvent.GENESIS,
    )
    event.hash = event.compute_hash()
    event.save()
    return event


def audit_verify_chain(batch_size: int = 2000):
    """Walk the chain in id order; return (rows checked, first broken AuditEvent or None, reason)."""
    prev = AuditEvent.GENESIS
    checked = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=batch_size):
        if event.prev_hash != prev:
            return checked, event, "a row before this one was deleted or edited (previous hash does not match)"
        if event.compute_hash() != event.hash:
            return checked, event, "this row's content was edited (hash does not match its content)"
        prev = event.hash
        checked += 1
    return checked, None, ""
