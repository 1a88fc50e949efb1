from django import forms

from portal.core.forms import PortalModelForm
from portal.deadlines.models import CalendarOverride


class CalendarOverrideForm(PortalModelForm):
    """One form for both: a date for "this date only", month and day for "every year" (the model checks which)."""

    class Meta:
        model = CalendarOverride
        fields = ("recurrence", "date", "month", "day", "kind", "note")
        widgets = {
            "recurrence": forms.RadioSelect,
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "day": forms.NumberInput(attrs={"min": 1, "max": 31}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recurrence"].required = False  # a post without it means a single date, as before

    def clean_recurrence(self):
        return self.cleaned_data["recurrence"] or CalendarOverride.Recurrence.ONCE
