import django_filters

from dpa.breaches.models import BreachIncident


class BreachFilter(django_filters.FilterSet):
    """Without a state the register shows the incidents still open (open or contained)."""

    STATES = [("closed", "Closed"), ("all", "All")]

    state = django_filters.ChoiceFilter(
        choices=STATES, empty_label="Open or contained", method="filter_state", label="State"
    )
    severity = django_filters.ChoiceFilter(choices=BreachIncident.Severity.choices, empty_label="Any severity")

    class Meta:
        model = BreachIncident
        fields = ("state", "severity")

    def filter_state(self, queryset, name, value):
        return queryset  # applied in filter_queryset, which also sees the empty default

    def filter_queryset(self, queryset):
        state = self.form.cleaned_data.get("state") or ""
        if state == "closed":
            queryset = queryset.filter(status=BreachIncident.Status.CLOSED)
        elif state != "all":
            queryset = queryset.exclude(status=BreachIncident.Status.CLOSED)
        return super().filter_queryset(queryset)
