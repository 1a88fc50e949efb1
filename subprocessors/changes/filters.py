"""Filter forms for the legal staff's sub-processor lists (django-filter)."""

import django_filters

from subprocessors.changes.models import ChangeRecipient, SubprocessorChange


class ChangeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="subprocessor__name", lookup_expr="icontains", label="Sub-processor")
    status = django_filters.ChoiceFilter(choices=SubprocessorChange.Status.choices, empty_label="Any status")
    kind = django_filters.ChoiceFilter(choices=SubprocessorChange.Kind.choices, empty_label="Any kind")

    class Meta:
        model = SubprocessorChange
        fields = ("q", "status", "kind")


class NoticeFilter(django_filters.FilterSet):
    """Proof of notice: find a recipient, or the ones whose announcement did not go out, or whose notice came late."""

    DELIVERY = [
        ("sent", "Sent"),
        ("failed", "Failed"),
        ("unsent", "Not sent yet"),
        ("late", "Notice delivered after the notice deadline"),
        ("missing", "No notice delivered yet"),
    ]

    q = django_filters.CharFilter(field_name="email", lookup_expr="icontains", label="Recipient contains")
    role = django_filters.ChoiceFilter(choices=ChangeRecipient.Role.choices, empty_label="Any role", label="As")
    delivery = django_filters.ChoiceFilter(
        choices=DELIVERY, empty_label="Any", method="filter_delivery", label="Announcement"
    )

    class Meta:
        model = ChangeRecipient
        fields = ("q", "role", "delivery")

    def __init__(self, *args, change=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.change = change

    def filter_delivery(self, queryset, name, value):
        if value == "sent":
            return queryset.filter(announce_email__sent_at__isnull=False)
        if value == "failed":
            return queryset.filter(announce_email__status="failed")
        if value == "missing":
            return queryset.filter(notice_delivered_at__isnull=True)
        if value == "late":
            deadline = getattr(self.change, "notice_deadline_at", None)
            return queryset.filter(notice_delivered_at__gte=deadline) if deadline else queryset.none()
        return queryset.filter(announce_email__sent_at__isnull=True).exclude(announce_email__status="failed")
