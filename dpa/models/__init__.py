from .signing import DpaExecution
from .versions import DpaVersion

__all__ = ["DpaExecution", "DpaVersion"]
