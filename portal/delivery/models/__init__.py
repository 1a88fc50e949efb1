from .base import Delivery, DeliveryStates
from .outbox import OutboundEmail

__all__ = ["Delivery", "DeliveryStates", "OutboundEmail"]
