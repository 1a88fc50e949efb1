from django import forms

from portal.core.forms import PortalForm
from portal.organisations.models import Organisation
from subprocessors.objections.models import Objection
from subprocessors.objections.services import GROUNDS_MIN_LENGTH


class ObjectionForm(PortalForm):
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none(), empty_label=None)
    grounds = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        label="Data-protection grounds",
        min_length=GROUNDS_MIN_LENGTH,
        help_text=f"Why this change affects the protection of personal data you control (at least "
        f"{GROUNDS_MIN_LENGTH} characters).",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Objections come with the enterprise plan's signed DPA (SPEC: who uses it); the service refuses others too.
        self.organisations = Organisation.objects.filter(
            memberships__user=user, tier=Organisation.Tier.ENTERPRISE
        ).order_by("name")
        organisation = self.fields["organisation"]
        assert isinstance(organisation, forms.ModelChoiceField)
        organisation.queryset = self.organisations
        organisation.to_field_name = "public_id"


class MessageForm(PortalForm):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="Message")


class ObjectionStatusForm(PortalForm):
    status = forms.ChoiceField(
        choices=[(s, label) for s, label in Objection.Status.choices if s != Objection.Status.RECEIVED]
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Note to the customer")
