from .audit import AppendOnlyError, AuditEvent
from .base import BaseModel
from .calendar import CalendarOverride
from .organisations import Invitation, Membership, Organisation
from .outbox import OutboundEmail
from .reports import IssuedReport
from .tokens import ApiToken

__all__ = [
    "ApiToken",
    "AppendOnlyError",
    "AuditEvent",
    "BaseModel",
    "CalendarOverride",
    "Invitation",
    "IssuedReport",
    "Membership",
    "Organisation",
    "OutboundEmail",
]
