"""Customer API of the breach register: a member acknowledges a notification delivered to their organisation, as
the button on the notification's portal page does (same service, recorded as acknowledged via the portal)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from dpa.breaches.api_staff import VIA_HELP, UTCTimes
from dpa.breaches.models import BreachNotification
from dpa.breaches.selectors import user_breach_notifications
from dpa.breaches.services import breach_acknowledge
from portal.core.idempotency import idempotent
from portal.core.serializers import PortalModelSerializer


class BreachAcknowledgementSerializer(UTCTimes, PortalModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    acknowledged_via = serializers.CharField(read_only=True, help_text=VIA_HELP)
    organisation = serializers.UUIDField(source="organisation.public_id", read_only=True)
    incident = serializers.CharField(source="incident.title", read_only=True)

    class Meta:
        model = BreachNotification
        fields = (
            "id",
            "organisation",
            "incident",
            "status",
            "delivered_at",
            "acknowledged_at",
            "acknowledged_by",
            "acknowledged_via",
        )
        read_only_fields = fields


class BreachAcknowledge(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=None,
        responses=BreachAcknowledgementSerializer,
        parameters=[
            OpenApiParameter(
                "notification_id",
                OpenApiTypes.UUID,
                OpenApiParameter.PATH,
                description="The notification's id (in the portal link of the notice email).",
            )
        ],
    )
    @idempotent
    def post(self, request, notification_id):
        """Acknowledge receipt of a breach notification delivered to one of your organisations (any member may).
        Recorded once: a repeat answers the same acknowledgement and changes nothing. A notification not
        delivered to an organisation of yours is 404."""
        notification = get_object_or_404(user_breach_notifications(request.user), public_id=notification_id)
        notification, _ = breach_acknowledge(
            notification=notification, via=BreachNotification.Via.PORTAL, actor=request.user, request=request
        )
        return Response(BreachAcknowledgementSerializer(notification).data)
