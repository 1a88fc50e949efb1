from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from portal.core.errors import ApplicationError
from portal.core.forms import PortalForm, PortalModelForm
from portal.organisations.models import Membership, Organisation
from portal.organisations.services import breach_phone_clean

TOKEN_LIFETIMES = [(7, "7 days"), (30, "30 days"), (90, "90 days"), (180, "180 days"), (365, "1 year")]


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
        try:
            return breach_phone_clean(self.cleaned_data["breach_contact_phone"])
        except ApplicationError as exc:
            raise ValidationError(exc.message) from exc


class InviteForm(PortalForm):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.MEMBER)


class TierForm(PortalModelForm):
    class Meta:
        model = Organisation
        fields = ("tier", "email_domain")


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
        days = self.fields["days"]
        assert isinstance(days, forms.TypedChoiceField)
        days.choices = [(d, label) for d, label in TOKEN_LIFETIMES if d <= settings.API_TOKEN_MAX_DAYS]
        if not legal:
            del self.fields["staff"]


class ApiTokenFilterForm(PortalForm):
    q = forms.CharField(label="Owner or name", required=False, max_length=200)
    staff = forms.ChoiceField(
        label="Kind", required=False, choices=[("", "Any"), ("yes", "Staff tokens"), ("no", "Other tokens")]
    )
