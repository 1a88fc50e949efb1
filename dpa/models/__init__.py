from .access import (
    AccessLevel,
    AccessRequest,
    AutoApprovalRule,
    GrantLevel,
    NdaVersion,
    TrustDocument,
    TrustDocumentVersion,
)
from .breaches import (
    BLOCKS,
    DELIVERED_STATES,
    NATURE_MIN_LENGTH,
    BreachAwarenessChange,
    BreachFollowUp,
    BreachIncident,
    BreachNotification,
    DeliveryStatus,
)
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
    "DELIVERED_STATES",
    "NATURE_MIN_LENGTH",
    "BreachAwarenessChange",
    "DeliveryStatus",
    "BreachFollowUp",
    "BreachIncident",
    "BreachNotification",
    "Obligation",
    "ObligationReminder",
]
