from django import forms

from dpa.models import BLOCKS, BreachIncident
from portal.forms import PortalForm, PortalModelForm
from portal.models import Organisation
from subprocessors.models import Subprocessor

DT_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
BLOCK_FIELDS = [f for key, _ in BLOCKS for f in (key, f"{key}_pending")]


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
        widgets = {key: forms.Textarea(attrs={"rows": 3}) for key, _ in BLOCKS} | {
            "description": forms.Textarea(attrs={"rows": 3})
        }


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
    class Meta(BreachIncidentForm.Meta):
        fields = (*BreachIncidentForm.Meta.fields, "status")


class FollowUpForm(PortalForm):
    message = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="What changed",
        help_text="Sent with the current contents of all four blocks to every organisation already notified.",
    )
