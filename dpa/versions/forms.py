from django import forms

from dpa.versions.models import DpaVersion
from portal.core.forms import PortalForm, PortalModelForm


class DpaVersionForm(PortalModelForm):
    class Meta:
        model = DpaVersion
        fields = ("label", "title", "effective_date", "change_summary", "body")
        widgets = {
            "effective_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "change_summary": forms.Textarea(attrs={"rows": 3}),
            "body": forms.Textarea(attrs={"rows": 30, "spellcheck": "true"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A published version's form is read-only: the page shows it, but nothing posted is accepted.
        if self.instance.pk and not self.instance.is_draft:
            for field in self.fields.values():
                field.disabled = True

    def clean(self):
        data = super().clean()
        if self.instance.pk and not self.instance.is_draft:
            raise forms.ValidationError(
                f"Version {self.instance.label} is {self.instance.get_status_display().lower()}: "
                "its text can no longer be changed. Draft a new version instead."
            )
        return data


class DiffForm(PortalForm):
    from_label = forms.CharField(label="From version", max_length=40)
    to_label = forms.CharField(label="To version", max_length=40)
