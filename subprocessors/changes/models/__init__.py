from .changes import CHANGE_FIELDS, ChangeRecipient, RecipientOrganisation, SubprocessorChange

__all__ = [
    "CHANGE_FIELDS",
    "ChangeRecipient",
    "RecipientOrganisation",
    "SubprocessorChange",
]
