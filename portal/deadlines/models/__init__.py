from .calendar import CalendarOverride
from .obligations import Obligation, ObligationReminder

__all__ = ["CalendarOverride", "Obligation", "ObligationReminder"]
