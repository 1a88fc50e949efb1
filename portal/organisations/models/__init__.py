from .organisations import Invitation, Membership, Organisation
from .tokens import ApiToken

__all__ = ["ApiToken", "Invitation", "Membership", "Organisation"]
