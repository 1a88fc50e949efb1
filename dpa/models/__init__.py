from .breaches import BLOCKS, BreachFollowUp, BreachIncident, BreachNotification
from .obligations import Obligation, ObligationReminder

__all__ = [
    "BLOCKS",
    "BreachFollowUp",
    "BreachIncident",
    "BreachNotification",
    "Obligation",
    "ObligationReminder",
]
