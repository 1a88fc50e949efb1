from .access import (
    AccessLevel,
    AccessRequest,
    AutoApprovalRule,
    GrantLevel,
    NdaVersion,
    TrustDocument,
    TrustDocumentVersion,
)
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
]
