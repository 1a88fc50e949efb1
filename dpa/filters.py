"""Filter forms for legal staff lists (django-filter); invalid values become field errors and are ignored."""

import django_filters

from dpa.models import BreachIncident, DpaExecution, TrustDocument


class ExecutionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="organisation__name", lookup_expr="icontains", label="Organisation")
    status = django_filters.ChoiceFilter(choices=DpaExecution.Status.choices, empty_label="Any status")

    class Meta:
        model = DpaExecution
        fields = ("q", "status")


class DocumentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="title", lookup_expr="icontains", label="Title contains")
    category = django_filters.ChoiceFilter(choices=TrustDocument.Category.choices, empty_label="Any category")
    access_level = django_filters.ChoiceFilter(
        choices=TrustDocument._meta.get_field("access_level").choices, empty_label="Any access", label="Access"
    )
    state = django_filters.ChoiceFilter(
        choices=[("listed", "Listed"), ("retired", "Retired")],
        empty_label="Any state",
        method="filter_state",
        label="State",
    )

    class Meta:
        model = TrustDocument
        fields = ("q", "category", "access_level", "state")

    def filter_state(self, queryset, name, value):
        return queryset.filter(retired_at__isnull=value == "listed")


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
