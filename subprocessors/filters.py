"""Filter forms for the legal staff's sub-processor lists (django-filter)."""

import django_filters

from subprocessors.models import Subprocessor, SubprocessorChange


class SubprocessorFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Name contains")
    status = django_filters.ChoiceFilter(choices=Subprocessor.Status.choices, empty_label="Any status")
    category = django_filters.ChoiceFilter(
        choices=Subprocessor.Category.choices, empty_label="Any table", label="Table"
    )

    class Meta:
        model = Subprocessor
        fields = ("q", "status", "category")


class ChangeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="subprocessor__name", lookup_expr="icontains", label="Sub-processor")
    status = django_filters.ChoiceFilter(choices=SubprocessorChange.Status.choices, empty_label="Any status")
    kind = django_filters.ChoiceFilter(choices=SubprocessorChange.Kind.choices, empty_label="Any kind")

    class Meta:
        model = SubprocessorChange
        fields = ("q", "status", "kind")
