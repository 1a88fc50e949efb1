from django import forms

from dpa.breaches.models import BLOCKS, NATURE_MIN_LENGTH, BreachIncident
from portal.core.forms import PortalForm, PortalModelForm
from portal.organisations.models import Organisation
from subprocessors.listing.models import Subprocessor

DT_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
# The nature (i) cannot be marked "will follow": the first notice must describe it.
BLOCK_FIELDS = [key for key, _ in BLOCKS] + [f"{key}_pending" for key, _ in BLOCKS if key != "nature"]
NATURE_HELP = (
    f"Required before the first notice, in at least {NATURE_MIN_LENGTH} characters: what happened, which categories "
    "of data subjects and about how many. It cannot be marked “will follow”."
)


class BreachIncidentForm(PortalModelForm):
    aware_at = forms.DateTimeField(
        label="Became aware at (local time)",
        widget=DT_WIDGET,
        help_text="When we became aware of the breach, not when this record is made: the 48-hour clock starts here.",
    )

    class Meta:
        model = BreachIncident
        fields = ("title", "aware_at", "detected_by", "description", "severity", *BLOCK_FIELDS)
        labels = {
            **{key: label for key, label in BLOCKS},
            **{f"{key}_pending": "Not yet known — will follow" for key, _ in BLOCKS},
        }
        help_texts = {"nature": NATURE_HELP}
        widgets = {key: forms.Textarea(attrs={"rows": 3}) for key, _ in BLOCKS} | {
            "description": forms.Textarea(attrs={"rows": 3})
        }

    def clean(self):
        super().clean()
        data = self.cleaned_data
        # Incidents recorded before the nature had to be described may have it marked "will follow": saving the
        # form clears that, so the nature written here is what the notice says.
        data["nature_pending"] = False
        return data


class AffectedForm(PortalForm):
    scope = forms.ChoiceField(
        choices=BreachIncident.Scope.choices,
        initial=BreachIncident.Scope.SELECTED,
        widget=forms.RadioSelect,
        label="Affected organisations",
    )
    organisations = forms.ModelMultipleChoiceField(
        queryset=Organisation.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Used when organisations are chosen individually.",
    )
    subprocessor = forms.ModelChoiceField(
        queryset=Subprocessor.objects.exclude(status=Subprocessor.Status.PROPOSED).order_by("name"),
        required=False,
        label="Sub-processor",
        help_text="Used when the affected customers are those using a sub-processor.",
    )

    def clean(self):
        return _clean_scope(self, super().clean())


def _clean_scope(form, data):
    if data.get("scope") == BreachIncident.Scope.SELECTED and not data.get("organisations"):
        form.add_error("organisations", "Choose at least one affected organisation, or all customers.")
    if data.get("scope") == BreachIncident.Scope.SUBPROCESSOR and not data.get("subprocessor"):
        form.add_error("subprocessor", "Choose the sub-processor whose customers are affected.")
    return data


class BreachIncidentCreateForm(BreachIncidentForm):
    scope = AffectedForm.base_fields["scope"]
    organisations = AffectedForm.base_fields["organisations"]
    subprocessor = AffectedForm.base_fields["subprocessor"]

    def clean(self):
        return _clean_scope(self, super().clean())


class BreachEditForm(BreachIncidentForm):
    awareness_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why the awareness time changes",
        help_text=(
            "Required when you change the awareness time; kept with the incident and shown with it. Once a "
            "notification was sent or the deadline passed, it can only move earlier. Deadlines always run from the "
            "earliest awareness time ever recorded."
        ),
    )

    class Meta(BreachIncidentForm.Meta):
        fields = (*BreachIncidentForm.Meta.fields, "status")

    def clean_aware_at(self):
        # The field shows minutes: the same minute as recorded is no change, whatever the stored seconds.
        value = self.cleaned_data["aware_at"]
        recorded = self.instance.aware_at
        if value and recorded and value == recorded.replace(second=0, microsecond=0):
            return recorded
        return value


class FollowUpForm(PortalForm):
    message = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="What changed",
        help_text="Sent with the current contents of all four blocks to every organisation already notified.",
    )


class ResendForm(PortalForm):
    to = forms.EmailField(
        label="Send to",
        help_text="The address the notice could not be delivered to, or another contact of the organisation.",
    )
