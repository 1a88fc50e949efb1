"""Filter form for the legal staff's webhook delivery log (django-filter)."""

import django_filters

from subprocessors.webhooks.models import WebhookDelivery


class DeliveryFilter(django_filters.FilterSet):
    """Staff → Webhook deliveries: every organisation's deliveries."""

    status = django_filters.ChoiceFilter(choices=WebhookDelivery.Status.choices, empty_label="Any status")
    organisation = django_filters.CharFilter(
        field_name="webhook__organisation__name", lookup_expr="icontains", label="Organisation contains"
    )
    url = django_filters.CharFilter(field_name="webhook__url", lookup_expr="icontains", label="URL contains")

    class Meta:
        model = WebhookDelivery
        fields = ("status", "organisation", "url")
