"""The registry of audit event types: each action code is declared once, with the label staff read.

Apps declare their types at the top of their `events.py` (`ACCESS_APPROVED = event_type("access.approved",
"Access request approved")`) next to the one function per event that records it. The audit app imports every
app's `events` module when Django starts (AuditConfig.ready), so the log page and the CSV export can label rows of
any app without importing apps above it. Rows written before a code was declared, or under a code since retired,
still display: their label is the code itself.
"""

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class AuditEventType:
    action: str  # stored in AuditEvent.action and covered by the row's HMAC: never rename one
    label: str

    def __str__(self) -> str:
        return self.action


_TYPES: dict[str, AuditEventType] = {}


def event_type(action: str, label: str) -> AuditEventType:
    """Declare an event type. A code declared twice is a programming error, so it stops the start-up."""
    if action in _TYPES:
        raise ImproperlyConfigured(f"Audit event type {action!r} is declared twice.")
    if not label.strip():
        raise ImproperlyConfigured(f"Audit event type {action!r} has no label.")
    _TYPES[action] = declared = AuditEventType(action=action, label=label)
    return declared


def event_types() -> list[AuditEventType]:
    """Every declared type, by action code."""
    return sorted(_TYPES.values(), key=lambda t: t.action)


def event_label(action: str) -> str:
    """The human label of an action code; an unknown or legacy code is its own label."""
    declared = _TYPES.get(action)
    return declared.label if declared else action


def actions_labelled(text: str) -> list[str]:
    """The codes whose label contains `text` (case-insensitive), so the log can be filtered by what staff read."""
    needle = text.casefold()
    return [t.action for t in _TYPES.values() if needle in t.label.casefold()]


# Written by the chain itself (portal.audit.services), not by any app's events module.
AUDIT_KEY_ROTATED = event_type("audit.key_rotated", "Audit chain key rotated")
