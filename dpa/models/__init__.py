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
from .signing import DpaExecution
from .versions import DpaVersion

__all__ = [
    "AccessLevel",
    "AccessRequest",
    "AutoApprovalRule",
    "DpaExecution",
    "DpaVersion",
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
