import django_filters

from portal.trust.models import TrustDocument


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
