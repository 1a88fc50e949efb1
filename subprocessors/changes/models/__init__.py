from .changes import CHANGE_FIELDS, ChangeRecipient, RecipientOrganisation, SubprocessorChange
from .webhooks import Webhook, WebhookDelivery

__all__ = [
    "CHANGE_FIELDS",
    "ChangeRecipient",
    "RecipientOrganisation",
    "SubprocessorChange",
    "Webhook",
    "WebhookDelivery",
]
