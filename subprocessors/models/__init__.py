from .list import (
    SNAPSHOT_FIELDS,
    Subprocessor,
    SubprocessorRevision,
    Subscriber,
    validate_country,
    validate_region,
)

__all__ = [
    "SNAPSHOT_FIELDS",
    "Subprocessor",
    "SubprocessorRevision",
    "Subscriber",
    "validate_country",
    "validate_region",
]
