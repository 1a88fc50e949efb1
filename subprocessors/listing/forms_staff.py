from django import forms
from django.utils import timezone

from portal.core.forms import PortalModelForm
from portal.deadlines.calendar import local_date
from subprocessors.listing.models import DESCRIPTION_FIELDS, LIFECYCLE_FIELDS, Subprocessor
from subprocessors.listing.services import RESERVED_SLUGS, SLUG_RESERVED

EDIT_FIELDS = (*DESCRIPTION_FIELDS, *LIFECYCLE_FIELDS, "position")


class SubprocessorForm(PortalModelForm):
    class Meta:
        model = Subprocessor
        fields: tuple[str, ...] = ("slug", *EDIT_FIELDS)  # the change form lists fewer
        widgets = {
            "engaged_since": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "retired_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "hq_country": forms.TextInput(attrs={"size": 3, "autocapitalize": "characters"}),
            "processing_region": forms.TextInput(attrs={"size": 3, "autocapitalize": "characters"}),
        }
        help_texts = {
            "slug": "Part of the public URL and API; it cannot be changed later.",
            "hq_country": "ISO 3166-1 alpha-2 code, e.g. NL, FR, US.",
            "processing_region": "ISO 3166-1 alpha-2 code, or EU for EU-wide processing.",
            "status": "Adding an active processor of customer data goes through a change notice.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["slug"]

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(SLUG_RESERVED)
        return slug

    def clean(self):
        super().clean()
        data = self.cleaned_data
        # Retiring without a date means today; filled in before the model's constraints are checked.
        if data.get("status") == Subprocessor.Status.RETIRED and not data.get("retired_on"):
            data["retired_on"] = local_date(timezone.now())
        return data

    def clean_hq_country(self):
        return self.cleaned_data["hq_country"].strip().upper()

    def clean_processing_region(self):
        return self.cleaned_data["processing_region"].strip().upper()
