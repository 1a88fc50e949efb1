from django import forms

from portal.core.forms import PortalForm
from portal.organisations.models import Organisation


class AuditFilterForm(PortalForm):
    action = forms.CharField(required=False, label="Action (code or label) contains")
    actor = forms.CharField(required=False, label="Actor email contains")
    target_type = forms.CharField(required=False)
    target_id = forms.CharField(required=False, max_length=64, label="Target id")
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.all(), required=False)
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
