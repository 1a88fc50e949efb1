from django import forms

from portal.core.forms import PortalForm
from portal.deadlines.models import Obligation
from portal.organisations.models import Organisation

STAFF_KINDS = [(k, label) for k, label in Obligation.Kind.choices if k != Obligation.Kind.BREACH_NOTIFICATION]
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024


class ObligationForm(PortalForm):
    kind = forms.ChoiceField(choices=STAFF_KINDS)
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.order_by("name"))
    received_at = forms.DateTimeField(
        label="Received (local time)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="When the order or request reached us, or when the agreement ended. The due date follows from it.",
    )
    title = forms.CharField(max_length=200, required=False, help_text="Optional; a default title is used if empty.")
    details = forms.CharField(widget=forms.Textarea, required=False)


class ObligationCompleteForm(PortalForm):
    evidence = forms.CharField(
        widget=forms.Textarea, help_text="What was done and how it was confirmed (e.g. the email sent, its date)."
    )
    evidence_file = forms.FileField(required=False, help_text="Optional: a PDF, image or email export (max 10 MB).")

    def clean_evidence_file(self):
        upload = self.cleaned_data.get("evidence_file")
        if upload and upload.size > MAX_EVIDENCE_BYTES:
            raise forms.ValidationError("The file is larger than 10 MB.")
        return upload


class ObligationFilterForm(PortalForm):
    state = forms.ChoiceField(
        choices=[
            ("", "All"),
            ("open", "Open"),
            ("overdue", "Overdue"),
            ("due_soon", "Due within 2 days"),
            ("completed", "Completed"),
        ],
        required=False,
    )
    kind = forms.ChoiceField(choices=[("", "Any kind"), *Obligation.Kind.choices], required=False)
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.order_by("name"), required=False)
