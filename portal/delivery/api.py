"""Staff API of the email outbox and of the staff chat alerts: list and read them as the console's pages show them,
retry a failed one (the same service, audit event and message as the console's Retry button). Email bodies and
headers are not exposed: the console does not show them either."""

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response

from portal.core.api_staff import StaffAPIView, StaffGenericAPIView
from portal.core.idempotency import idempotent
from portal.core.serializers import PortalModelSerializer, PortalSerializer
from portal.delivery.chat import chat_alert_retry
from portal.delivery.models import ChatAlert, OutboundEmail
from portal.delivery.outbox import outbox_retry
from portal.delivery.selectors import chat_alerts, outbox_emails

OUTBOX_UNTIL_BEFORE_SINCE = "The end date is before the start date."


class OutboxQuerySerializer(PortalSerializer):
    """The console's outbox filters; they combine. An invalid value answers 400 with the field's message."""

    status = serializers.ChoiceField(choices=OutboundEmail.Status.choices, required=False)
    to = serializers.CharField(required=False, max_length=254, help_text="Recipient address contains this.")
    template = serializers.CharField(required=False, max_length=100, help_text="Email template name contains this.")
    since = serializers.DateField(required=False, help_text="Created on or after this day (UTC, YYYY-MM-DD).")
    until = serializers.DateField(required=False, help_text="Created on or before this day (UTC, YYYY-MM-DD).")

    def validate(self, attrs):
        if attrs.get("since") and attrs.get("until") and attrs["until"] < attrs["since"]:
            raise serializers.ValidationError({"until": [OUTBOX_UNTIL_BEFORE_SINCE]})
        return attrs


class OutboundEmailSerializer(PortalModelSerializer):
    to = serializers.EmailField(source="to_email", read_only=True)
    last_error = serializers.CharField(read_only=True, help_text="The SMTP server's answer to the last attempt.")
    sent_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When the SMTP server accepted it; null until then."
    )
    console_url = serializers.SerializerMethodField(help_text="The console's outbox, filtered to this recipient.")

    class Meta:
        model = OutboundEmail
        fields = (
            "id",
            "to",
            "subject",
            "template",
            "status",
            "attempts",
            "last_error",
            "created_at",
            "sent_at",
            "console_url",
        )
        read_only_fields = fields

    def get_console_url(self, email) -> str:
        return f"{settings.SITE_URL}{reverse('delivery:staff_outbox')}?{urlencode({'to': email.to_email})}"


class OutboxList(StaffGenericAPIView, generics.ListAPIView):
    staff_permissions = {"GET": "delivery.view_outboundemail"}
    serializer_class = OutboundEmailSerializer

    def get_queryset(self):
        query = OutboxQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return outbox_emails(filters=query.validated_data)

    @extend_schema(parameters=[OutboxQuerySerializer], responses={200: OutboundEmailSerializer(many=True)})
    def get(self, request, *args, **kwargs):
        """Every email the portal sent or is sending, newest first, filtered as on the console's outbox page.

        `failed` emails used up their attempts; retry them once the cause (see `last_error`) is fixed."""
        return super().get(request, *args, **kwargs)


class OutboxDetail(StaffGenericAPIView, generics.RetrieveAPIView):
    staff_permissions = {"GET": "delivery.view_outboundemail"}
    serializer_class = OutboundEmailSerializer

    def get_queryset(self):
        return outbox_emails(filters={})

    @extend_schema(responses={200: OutboundEmailSerializer})
    def get(self, request, *args, **kwargs):
        """One email of the outbox by its id: recipient, subject, status, attempts, last error and sent time."""
        return super().get(request, *args, **kwargs)


class OutboxRetry(StaffAPIView):
    staff_permissions = {"POST": "delivery.retry_outboundemail"}

    @extend_schema(request=None, responses={200: OutboundEmailSerializer})
    @idempotent
    def post(self, request, pk):
        """Send a failed email again: a fresh round of attempts, recorded in the audit log (`outbox.retry`), as with
        the console's Retry button. Only failed emails can be retried (400 otherwise)."""
        email = outbox_retry(email=get_object_or_404(OutboundEmail, pk=pk), actor=request.user, request=request)
        return Response(OutboundEmailSerializer(email).data)


# --- Staff chat alerts ------------------------------------------------------------------------------------


class ChatAlertQuerySerializer(PortalSerializer):
    """The console's chat alert filters; they combine. An invalid value answers 400 with the field's message."""

    status = serializers.ChoiceField(choices=ChatAlert.Status.choices, required=False)
    kind = serializers.ChoiceField(choices=ChatAlert.Kind.choices, required=False)


class ChatAlertSerializer(PortalModelSerializer):
    text = serializers.CharField(read_only=True, help_text="The message as posted (title line, facts, link).")
    url = serializers.URLField(read_only=True, help_text="The staff page that decides what the alert reports.")
    last_status_code = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The chat server's HTTP status for the last attempt."
    )
    last_error = serializers.CharField(read_only=True, help_text="Why the last attempt failed, or empty.")
    sent_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When the chat server accepted it; null until then."
    )
    console_url = serializers.SerializerMethodField(help_text="The console's chat alert page, filtered to its kind.")

    class Meta:
        model = ChatAlert
        fields = (
            "id",
            "kind",
            "text",
            "url",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "created_at",
            "sent_at",
            "console_url",
        )
        read_only_fields = fields

    def get_console_url(self, alert) -> str:
        return f"{settings.SITE_URL}{reverse('delivery:staff_chat_alerts')}?{urlencode({'kind': alert.kind})}"


class ChatAlertList(StaffGenericAPIView, generics.ListAPIView):
    staff_permissions = {"GET": "delivery.view_chatalert"}
    serializer_class = ChatAlertSerializer

    def get_queryset(self):
        query = ChatAlertQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return chat_alerts(filters=query.validated_data)

    @extend_schema(parameters=[ChatAlertQuerySerializer], responses={200: ChatAlertSerializer(many=True)})
    def get(self, request, *args, **kwargs):
        """Every alert for the legal team's chat channel (STAFF_CHAT_WEBHOOK_URL), newest first, filtered as on the
        console's chat alert page. `failed` alerts used up their attempts; retry them once the chat URL works."""
        return super().get(request, *args, **kwargs)


class ChatAlertDetail(StaffGenericAPIView, generics.RetrieveAPIView):
    staff_permissions = {"GET": "delivery.view_chatalert"}
    serializer_class = ChatAlertSerializer

    def get_queryset(self):
        return chat_alerts(filters={})

    @extend_schema(responses={200: ChatAlertSerializer})
    def get(self, request, *args, **kwargs):
        """One chat alert by its id: kind, message, link, status, attempts and the last error."""
        return super().get(request, *args, **kwargs)


class ChatAlertRetry(StaffAPIView):
    staff_permissions = {"POST": "delivery.retry_chatalert"}

    @extend_schema(request=None, responses={200: ChatAlertSerializer})
    @idempotent
    def post(self, request, pk):
        """Post a failed alert again: a fresh round of attempts, recorded in the audit log (`chat_alert.retry`), as
        with the console's Retry button. Only failed alerts can be retried (400 otherwise)."""
        alert = chat_alert_retry(alert=get_object_or_404(ChatAlert, pk=pk), actor=request.user, request=request)
        return Response(ChatAlertSerializer(alert).data)
