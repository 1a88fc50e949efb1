from django import forms
from django.core.exceptions import ValidationError

from portal.errors import ApplicationError
from portal.models import CalendarOverride, Membership, Organisation, OutboundEmail
from portal.validators import is_single_line_form_field, validate_single_line


class SingleLineTextMixin:
    """Every text field of the form that is not a Textarea refuses control characters (validate_single_line).

    Added when the form is cleaned, so fields a subclass adds or changes in __init__ are covered too. The
    project's forms derive from PortalForm or PortalModelForm; tests/portal/test_single_line.py fails for one
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


def form_error(form: forms.Form, exc: ApplicationError | ValidationError) -> None:
    """Show a rule violation from a service on the form it came from."""
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc.messages)
        return
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


class OrganisationCreateForm(PortalModelForm):
    class Meta:
        model = Organisation
        fields = ("name", "email_domain", "privacy_contact_email")


class ContactsForm(PortalModelForm):
    class Meta:
        model = Organisation
        fields = (
            "privacy_contact_email",
            "breach_contact_name",
            "breach_contact_email",
            "breach_contact_phone",
        )
        help_texts = {
            "breach_contact_email": "Receives personal-data breach notifications within 48 hours.",
            "breach_contact_phone": "Include the country code, e.g. +31 20 123 4567.",
        }

    def clean_breach_contact_phone(self):
        phone = self.cleaned_data["breach_contact_phone"].strip()
        allowed = set("+0123456789 ()-.")
        if phone and (not set(phone) <= allowed or sum(c.isdigit() for c in phone) < 6):
            raise ValidationError("Enter a phone number with digits, spaces and an optional leading +.")
        return phone


class InviteForm(PortalForm):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.MEMBER)


class TierForm(PortalModelForm):
    class Meta:
        model = Organisation
        fields = ("tier", "email_domain")


class CalendarOverrideForm(PortalModelForm):
    class Meta:
        model = CalendarOverride
        fields = ("date", "kind", "note")
        widgets = {"date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class AuditFilterForm(PortalForm):
    action = forms.CharField(required=False)
    actor = forms.CharField(required=False, label="Actor email contains")
    target_type = forms.CharField(required=False)
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.all(), required=False)
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class OutboxFilterForm(PortalForm):
    status = forms.ChoiceField(choices=[("", "Any status"), *OutboundEmail.Status.choices], required=False)
    to = forms.CharField(required=False, label="Recipient contains")
    template = forms.CharField(required=False)
