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
from .changes import ChangeRecipient, RecipientOrganisation, SubprocessorChange  # noqa: E402
from .objections import Objection, ObjectionMessage  # noqa: E402
from .webhooks import Webhook, WebhookDelivery  # noqa: E402

__all__ += [
    "ChangeRecipient",
    "Objection",
    "ObjectionMessage",
    "RecipientOrganisation",
    "SubprocessorChange",
    "Webhook",
    "WebhookDelivery",
]
