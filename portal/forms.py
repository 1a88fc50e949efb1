from django import forms
from django.conf import settings
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
    """One form for both: a date for "this date only", month and day for "every year" (the model checks which)."""

    class Meta:
        model = CalendarOverride
        fields = ("recurrence", "date", "month", "day", "kind", "note")
        widgets = {
            "recurrence": forms.RadioSelect,
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "day": forms.NumberInput(attrs={"min": 1, "max": 31}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recurrence"].required = False  # a post without it means a single date, as before

    def clean_recurrence(self):
        return self.cleaned_data["recurrence"] or CalendarOverride.Recurrence.ONCE


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


TOKEN_LIFETIMES = [(7, "7 days"), (30, "30 days"), (90, "90 days"), (180, "180 days"), (365, "1 year")]


class ApiTokenForm(PortalForm):
    name = forms.CharField(max_length=100, help_text="What will use it, e.g. “procurement sync”.")
    scope = forms.ChoiceField(
        choices=[
            ("read", "Read only — GET requests"),
            ("write", "Read and write — also creates and changes data as you"),
        ],
        initial="read",
        widget=forms.RadioSelect,
    )
    days = forms.TypedChoiceField(label="Expires after", coerce=int, choices=TOKEN_LIFETIMES, initial=90)
    staff = forms.BooleanField(
        required=False,
        label="Staff token",
        help_text="Reaches staff API operations. Needs this sign-in to be confirmed with your authenticator app; "
        "expires within 30 days.",
    )

    def __init__(self, *args, legal: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["days"].choices = [(d, label) for d, label in TOKEN_LIFETIMES if d <= settings.API_TOKEN_MAX_DAYS]
        if not legal:
            del self.fields["staff"]


class ApiTokenFilterForm(PortalForm):
    q = forms.CharField(label="Owner or name", required=False, max_length=200)
    staff = forms.ChoiceField(
        label="Kind", required=False, choices=[("", "Any"), ("yes", "Staff tokens"), ("no", "Other tokens")]
    )
