"""Validators shared by forms, serializers and models."""

from django import forms
from django.core.validators import RegexValidator

SINGLE_LINE_REFUSED = "Remove line breaks, tabs and other control characters: this field is one line of text."

# C0 and C1 control characters (\t \n \r \x00 … \x1f, \x7f … \x9f) and the Unicode line and paragraph separators:
# in a name or subject they split email headers, log lines and CSV cells, or hide text.
validate_single_line = RegexValidator(
    r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*\Z", message=SINGLE_LINE_REFUSED, code="control_characters"
)


def is_single_line_form_field(field: forms.Field) -> bool:
    """A text field that is not a multi-line one (a Textarea) or a password (whatever the user chose)."""
    return isinstance(field, forms.CharField) and not isinstance(field.widget, forms.Textarea | forms.PasswordInput)


def contains_control_characters(value: str) -> bool:
    try:
        validate_single_line(value)
    except forms.ValidationError:
        return True
    return False
