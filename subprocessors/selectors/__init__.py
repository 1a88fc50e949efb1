from .subprocessors import (
    history_revisions,
    last_updated,
    public_subprocessors,
    subprocessors_as_of,
    subprocessors_at,
)

__all__ = ["history_revisions", "last_updated", "public_subprocessors", "subprocessors_as_of", "subprocessors_at"]
