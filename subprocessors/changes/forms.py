from django import forms
from django.utils import timezone

from portal.core.forms import PortalForm
from portal.organisations.models import Organisation
from subprocessors.changes.models import SubprocessorChange
from subprocessors.changes.windows import earliest_effective_date
from subprocessors.listing.forms_staff import SubprocessorForm
from subprocessors.listing.models import DESCRIPTION_FIELDS, Subprocessor

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
NEEDS_EXISTING = (SubprocessorChange.Kind.REMOVE, SubprocessorChange.Kind.MODIFY)
SUBPROCESSOR_REQUIRED = "Choose the active sub-processor this change concerns."


class ChangeForm(PortalForm):
    kind = forms.ChoiceField(choices=SubprocessorChange.Kind.choices)
    subprocessor = forms.ModelChoiceField(
        queryset=Subprocessor.objects.exclude(status=Subprocessor.Status.RETIRED).order_by("name"),
        required=False,
        help_text="The sub-processor concerned. For a new or replacing one, leave this empty to create it below.",
    )
    replaces = forms.ModelChoiceField(
        queryset=Subprocessor.objects.filter(status=Subprocessor.Status.ACTIVE).order_by("name"),
        required=False,
        help_text="For a replacement only: the active sub-processor it replaces.",
    )
    modification = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text="For a modification: what changes."
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), help_text="Shown to customers in the notice and on the public page."
    )
    effective_date = forms.DateField(widget=DATE_WIDGET)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["effective_date"].initial = earliest_effective_date("add", timezone.now())

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("kind") in NEEDS_EXISTING and not data.get("subprocessor"):
            self.add_error("subprocessor", SUBPROCESSOR_REQUIRED)
        return data

    @property
    def creates_subprocessor(self) -> bool:
        """An addition or replacement without a chosen row: the proposed row is created with the change."""
        return self.cleaned_data.get("kind") not in NEEDS_EXISTING and not self.cleaned_data.get("subprocessor")


class NewSubprocessorForm(SubprocessorForm):
    """The proposed sub-processor an addition or replacement brings, created in the same step as the change."""

    class Meta(SubprocessorForm.Meta):
        fields = ("slug", *DESCRIPTION_FIELDS)


class ChangeEditForm(PortalForm):
    """What can still change in a draft: the wording customers will see and the planned date."""

    modification = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text="For a modification: what changes."
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), help_text="Shown to customers in the notice and on the public page."
    )
    effective_date = forms.DateField(widget=DATE_WIDGET)


class AnnounceForm(PortalForm):
    effective_date = forms.DateField(
        widget=DATE_WIDGET, help_text="Suggested: the earliest date the 10-business-day notice allows."
    )


class PostponeForm(PortalForm):
    effective_date = forms.DateField(
        widget=DATE_WIDGET,
        label="New effective date",
        help_text="At least 10 business days from today: everyone is notified again.",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why is the change postponed?",
        help_text="Sent to everyone in the new notice.",
    )


class AlternateContactForm(PortalForm):
    """Send the notice to another address of an organisation whose privacy contact keeps failing."""

    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none(), empty_label=None)
    email = forms.CharField(label="Other address", max_length=254, help_text="The notice goes to this address now.")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why this address?",
        help_text="Recorded in the audit log (e.g. the privacy contact's mailbox does not exist).",
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        organisation = self.fields["organisation"]
        assert isinstance(organisation, forms.ModelChoiceField)
        organisation.queryset = organisations
        organisation.to_field_name = "public_id"


class WithdrawForm(PortalForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why is the change withdrawn?",
        help_text="Sent to everyone notified.",
    )
