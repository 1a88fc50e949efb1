"""Staff API of webhook deliveries: every organisation's deliveries as the console's page lists them (same filters),
one delivery, and retrying a failed one (the same service, audit event and messages as the console's Retry
button). Payloads and per-attempt logs are not exposed: the console does not show them either."""

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response

from portal.core.api_staff import StaffAPIView, StaffGenericAPIView
from portal.core.idempotency import idempotent
from portal.core.serializers import PortalModelSerializer, PortalSerializer
from subprocessors.webhooks.filters import DeliveryFilter
from subprocessors.webhooks.models import WebhookDelivery
from subprocessors.webhooks.services import webhook_delivery_retry


class DeliveryOrganisationSerializer(PortalSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    name = serializers.CharField(read_only=True)


class DeliveryWebhookSerializer(PortalSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    url = serializers.CharField(read_only=True)
    active = serializers.BooleanField(read_only=True, help_text="False once the customer removed the webhook.")


class DeliveryChangeSerializer(PortalSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    subprocessor = serializers.CharField(source="subprocessor.name", read_only=True)
    console_url = serializers.SerializerMethodField(help_text="The change's page in the staff console.")

    def get_console_url(self, change) -> str:
        return settings.SITE_URL + reverse("changes:staff_detail", args=[change.public_id])


class WebhookDeliverySerializer(PortalModelSerializer):
    id = serializers.UUIDField(source="delivery_id", read_only=True, help_text="Sent as the `webhook-id` header.")
    organisation = DeliveryOrganisationSerializer(source="webhook.organisation", read_only=True)
    webhook = DeliveryWebhookSerializer(read_only=True)
    change = DeliveryChangeSerializer(read_only=True, allow_null=True)
    last_status_code = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="HTTP status of the last answer; null if none came."
    )
    last_error = serializers.CharField(read_only=True)
    delivered_at = serializers.DateTimeField(read_only=True, allow_null=True)
    can_retry = serializers.SerializerMethodField(
        help_text="Failed, and the webhook still exists: `retry/` accepts it."
    )
    console_url = serializers.SerializerMethodField(help_text="The console's delivery list, filtered to this URL.")

    class Meta:
        model = WebhookDelivery
        fields = (
            "id",
            "organisation",
            "webhook",
            "event",
            "change",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "created_at",
            "updated_at",
            "delivered_at",
            "can_retry",
            "console_url",
        )
        read_only_fields = fields

    def get_can_retry(self, delivery) -> bool:
        return delivery.status == WebhookDelivery.Status.FAILED and delivery.webhook.active

    def get_console_url(self, delivery) -> str:
        query = urlencode({"url": delivery.webhook.url})
        return f"{settings.SITE_URL}{reverse('webhooks:staff_deliveries')}?{query}"


def staff_deliveries():
    return WebhookDelivery.objects.select_related("webhook__organisation", "change__subprocessor").order_by(
        "-created_at", "-id"
    )


class DeliveryList(StaffGenericAPIView, generics.ListAPIView):
    staff_permissions = {"GET": "webhooks.view_webhookdelivery"}
    serializer_class = WebhookDeliverySerializer
    # The console page's own filter set: the same filters, and a bad value is 400 with the field's message.
    filter_backends = [DjangoFilterBackend]
    filterset_class = DeliveryFilter

    def get_queryset(self):
        return staff_deliveries()

    @extend_schema(responses={200: WebhookDeliverySerializer(many=True)})
    def get(self, request, *args, **kwargs):
        """Every organisation's webhook deliveries, newest first, filtered as on the console's delivery page.

        `failed` deliveries used up their attempts; retry them once the customer has fixed their endpoint."""
        return super().get(request, *args, **kwargs)


class DeliveryDetail(StaffGenericAPIView, generics.RetrieveAPIView):
    staff_permissions = {"GET": "webhooks.view_webhookdelivery"}
    serializer_class = WebhookDeliverySerializer
    lookup_field = "delivery_id"

    def get_queryset(self):
        return staff_deliveries()

    @extend_schema(responses={200: WebhookDeliverySerializer})
    def get(self, request, *args, **kwargs):
        """One webhook delivery by its id (the `webhook-id` the customer received)."""
        return super().get(request, *args, **kwargs)


class DeliveryRetry(StaffAPIView):
    staff_permissions = {"POST": "webhooks.change_webhookdelivery"}

    @extend_schema(request=None, responses={200: WebhookDeliverySerializer})
    @idempotent
    def post(self, request, delivery_id):
        """Send a failed delivery again: a fresh round of attempts, recorded in the audit log
        (`webhook.delivery_retried`), as with the console's Retry button. Only failed deliveries of webhooks the
        customer has not removed can be retried (400 otherwise)."""
        delivery = get_object_or_404(staff_deliveries(), delivery_id=delivery_id)
        webhook_delivery_retry(delivery=delivery, actor=request.user, request=request)
        return Response(WebhookDeliverySerializer(get_object_or_404(staff_deliveries(), pk=delivery.pk)).data)
