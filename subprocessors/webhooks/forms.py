from django import forms

from portal.core.forms import PortalForm


class WebhookForm(PortalForm):
    url = forms.CharField(label="URL", max_length=500, help_text="An HTTPS address that accepts JSON POST requests.")
    description = forms.CharField(max_length=200, required=False)
