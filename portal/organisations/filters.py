"""Filter forms for staff lists that used to read query parameters by hand."""

import django_filters

from portal.organisations.models import Organisation


class OrganisationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Name contains")
    tier = django_filters.ChoiceFilter(choices=Organisation.Tier.choices, label="Plan", empty_label="Any plan")

    class Meta:
        model = Organisation
        fields = ("q", "tier")
