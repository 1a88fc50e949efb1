from .changes import ChangeRecipient, RecipientOrganisation, SubprocessorChange
from .subscribers import Subscriber
from .webhooks import Webhook, WebhookDelivery

__all__ = ["ChangeRecipient", "RecipientOrganisation", "Subscriber", "SubprocessorChange", "Webhook", "WebhookDelivery"]
