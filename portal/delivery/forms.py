from django import forms

from portal.core.forms import PortalForm
from portal.delivery.models import ChatAlert, OutboundEmail


class OutboxFilterForm(PortalForm):
    status = forms.ChoiceField(choices=[("", "Any status"), *OutboundEmail.Status.choices], required=False)
    to = forms.CharField(required=False, label="Recipient contains")
    template = forms.CharField(required=False)
    since = forms.DateField(
        required=False, label="Created from", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    until = forms.DateField(
        required=False, label="Created until", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class ChatAlertFilterForm(PortalForm):
    status = forms.ChoiceField(choices=[("", "Any status"), *ChatAlert.Status.choices], required=False)
    kind = forms.ChoiceField(choices=[("", "Any kind"), *ChatAlert.Kind.choices], required=False)
