from .base import Delivery, DeliveryStates
from .chat import ChatAlert
from .outbox import OutboundEmail

__all__ = ["ChatAlert", "Delivery", "DeliveryStates", "OutboundEmail"]
