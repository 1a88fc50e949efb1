from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import ValidationError

from portal.core.errors import ApplicationError
from portal.core.validators import is_single_line_form_field, validate_single_line

# The mixin is typed as the form it is mixed into (self.fields, super().full_clean()); at run time it stays a plain
# mixin, so the forms' class hierarchy is what it was.
if TYPE_CHECKING:
    _FormBase = forms.BaseForm
else:
    _FormBase = object


class SingleLineTextMixin(_FormBase):
    """Every text field of the form that is not a Textarea refuses control characters (validate_single_line).

    Added when the form is cleaned, so fields a subclass adds or changes in __init__ are covered too. The
    project's forms derive from PortalForm or PortalModelForm; tests/core/test_single_line.py fails for one
    that does not.
    """

    def full_clean(self):
        for field in self.fields.values():
            if is_single_line_form_field(field) and validate_single_line not in field.validators:
                field.validators.append(validate_single_line)
        super().full_clean()


class PortalForm(SingleLineTextMixin, forms.Form):
    pass


class PortalModelForm(SingleLineTextMixin, forms.ModelForm):
    pass


def form_error(form: forms.BaseForm, exc: ApplicationError | ValidationError) -> None:
    """Show a rule violation from a service on the form it came from."""
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc.messages)
        return
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
