from .access import (
    AccessLevel,
    AccessRequest,
    AutoApprovalRule,
    GrantLevel,
    NdaVersion,
    TrustDocument,
    TrustDocumentVersion,
)

__all__ = [
    "AccessLevel",
    "AccessRequest",
    "AutoApprovalRule",
    "GrantLevel",
    "NdaVersion",
    "TrustDocument",
    "TrustDocumentVersion",
]
