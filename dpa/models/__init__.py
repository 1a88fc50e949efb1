from .access import (
    AccessLevel,
    AccessRequest,
    AutoApprovalRule,
    GrantLevel,
    NdaVersion,
    TrustDocument,
    TrustDocumentVersion,
)
from .breaches import BLOCKS, BreachFollowUp, BreachIncident, BreachNotification
from .obligations import Obligation, ObligationReminder

__all__ = [
    "AccessLevel",
    "AccessRequest",
    "AutoApprovalRule",
    "GrantLevel",
    "NdaVersion",
    "TrustDocument",
    "TrustDocumentVersion",
    "BLOCKS",
    "BreachFollowUp",
    "BreachIncident",
    "BreachNotification",
    "Obligation",
    "ObligationReminder",
]
