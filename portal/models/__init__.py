from .audit import AppendOnlyError, AuditEvent
from .base import BaseModel
from .calendar import CalendarOverride
from .organisations import Invitation, Membership, Organisation
from .outbox import OutboundEmail
from .tokens import ApiToken

__all__ = [
    "ApiToken",
    "AppendOnlyError",
    "AuditEvent",
    "BaseModel",
    "CalendarOverride",
    "Invitation",
    "Membership",
    "Organisation",
    "OutboundEmail",
]
