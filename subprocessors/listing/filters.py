import django_filters

from subprocessors.listing.models import Subprocessor


class SubprocessorFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Name contains")
    status = django_filters.ChoiceFilter(choices=Subprocessor.Status.choices, empty_label="Any status")
    category = django_filters.ChoiceFilter(
        choices=Subprocessor.Category.choices, empty_label="Any table", label="Table"
    )

    class Meta:
        model = Subprocessor
        fields = ("q", "status", "category")
