from django import forms
from django.utils import timezone

from portal.core.forms import PortalForm, PortalModelForm
from portal.deadlines.calendar import local_date
from portal.organisations.models import Organisation
from portal.trust.models import AccessLevel, AccessRequest, GrantLevel, TrustDocument


class AccessRequestForm(PortalForm):
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        empty_label="Another company (enter its name below)",
        help_text="One of your organisations on this portal.",
    )
    company = forms.CharField(max_length=200, required=False, help_text="Your company's legal name.")
    job_role = forms.CharField(label="Your role", max_length=120, help_text="For example: privacy officer, CISO.")
    reason = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 4}), help_text="What you need the documents for."
    )
    nda_version = forms.CharField(widget=forms.HiddenInput)
    accept_nda = forms.BooleanField(label="I have read and accept the NDA above on behalf of my company.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        organisation = self.fields["organisation"]
        assert isinstance(organisation, forms.ModelChoiceField)
        organisation.queryset = Organisation.objects.filter(memberships__user=user).order_by("name")
        if not organisation.queryset.exists():
            del self.fields["organisation"]

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if not data.get("organisation") and not (data.get("company") or "").strip():
            self.add_error("company", "Enter your company's name or choose one of your organisations.")
        return data


class ApproveForm(PortalForm):
    level = forms.ChoiceField(choices=GrantLevel.choices, initial=GrantLevel.APPROVED, label="Access level")
    expires_on = forms.DateField(
        label="Access until", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        if day <= local_date(timezone.now()):
            raise forms.ValidationError("The expiry must be in the future.")
        return day


class DenyForm(PortalForm):
    reason = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), help_text="Shown to the requester."
    )


class RevokeForm(PortalForm):
    reason = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), help_text="Shown to the requester."
    )


class BulkApproveForm(PortalForm):
    level = forms.ChoiceField(choices=GrantLevel.choices, initial=GrantLevel.APPROVED, label="Level for all")
    selected = forms.MultipleChoiceField(choices=(), label="Requests")

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        selected = self.fields["selected"]
        assert isinstance(selected, forms.MultipleChoiceField)
        selected.choices = choices


class QueueFilterForm(PortalForm):
    status = forms.ChoiceField(
        choices=[*AccessRequest.Status.choices, ("all", "All")], required=False, initial="pending"
    )
    q = forms.CharField(required=False, label="Email or company contains")
    tier = forms.ChoiceField(choices=[("", "Any tier"), *Organisation.Tier.choices], required=False)
    overdue = forms.BooleanField(required=False, label="Overdue only")


class AutoRuleForm(PortalForm):
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.filter(tier=Organisation.Tier.ENTERPRISE).exclude(email_domain=""),
        help_text="Enterprise organisations with an email domain.",
    )
    level = forms.ChoiceField(choices=GrantLevel.choices, initial=GrantLevel.APPROVED)


class DocumentForm(PortalForm):
    title = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    category = forms.ChoiceField(choices=TrustDocument.Category.choices)
    access_level = forms.ChoiceField(choices=AccessLevel.choices)
    file = forms.FileField(label="PDF file", widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}))
    version = forms.CharField(max_length=40, initial="1.0")
    published_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class ReplaceForm(PortalForm):
    file = forms.FileField(label="New PDF file", widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}))
    version = forms.CharField(max_length=40)
    published_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class DocumentEditForm(PortalModelForm):
    class Meta:
        model = TrustDocument
        fields = ("title", "description", "category", "access_level")


class NdaVersionForm(PortalForm):
    version = forms.CharField(
        max_length=20, help_text="A new label, for example 2026-12. Published texts never change."
    )
    title = forms.CharField(max_length=200, initial="Non-disclosure agreement")
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 14}), label="Text")
