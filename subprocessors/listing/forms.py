from django import forms

from portal.core.forms import PortalForm
from subprocessors.listing.countries import COUNTRIES, REGIONS, country_name
from subprocessors.listing.models import Subprocessor

COUNTRY_INVALID = "Choose a country by its two-letter ISO code, e.g. NL or FR."


class ListFilterForm(PortalForm):
    """The public page's filters, read from the query string so they work without JavaScript."""

    q = forms.CharField(label="Search", required=False, max_length=100, strip=True)
    category = forms.ChoiceField(
        label="Table", required=False, choices=[("", "All tables"), *Subprocessor.Category.choices]
    )
    country = forms.CharField(label="Country (HQ or processing)", required=False, max_length=2)
    eea_only = forms.BooleanField(label="EU/EEA processing only", required=False)
    no_retention = forms.BooleanField(label="No prompt retention", required=False)
    no_training = forms.BooleanField(label="No training on data", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country_options: list[tuple[str, str]] = []
        self.fields["q"].widget.attrs.update({"type": "search", "placeholder": "Name, purpose, location…"})

    def set_country_options(self, codes) -> None:
        """The select offers the countries that occur in the list; any valid code is accepted."""
        self.country_options = [(code, country_name(code)) for code in sorted(set(codes), key=country_name)]

    def clean_country(self):
        code = self.cleaned_data["country"].strip().upper()
        if code and code not in COUNTRIES and code not in REGIONS:
            raise forms.ValidationError(COUNTRY_INVALID)
        return code

    def filters(self) -> dict:
        """The valid filters; an invalid field is ignored (and its error shown)."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return {
            "category": data.get("category") or "",
            "country": data.get("country") or "",
            "search": data.get("q") or "",
            "eea_only": True if data.get("eea_only") else None,
            "no_retention": bool(data.get("no_retention")),
            "no_training": bool(data.get("no_training")),
        }


class SubscribeForm(PortalForm):
    email = forms.EmailField(label="Email address", max_length=254)
