"""Filter forms for legal staff lists (django-filter); invalid values become field errors and are ignored."""

import django_filters

from dpa.signing.models import DpaExecution


class ExecutionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="organisation__name", lookup_expr="icontains", label="Organisation")
    status = django_filters.ChoiceFilter(choices=DpaExecution.Status.choices, empty_label="Any status")

    class Meta:
        model = DpaExecution
        fields = ("q", "status")
