"""Staff API of API tokens: every user's tokens as the console's Staff → API tokens page lists them (never a key:
only a digest is stored, and the first characters to recognise it), and revoking one, through the same service,
permission and audit event as the console's Revoke button."""

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, serializers
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from portal.core.api_staff import StaffAPIView, StaffGenericAPIView
from portal.core.idempotency import idempotent
from portal.core.serializers import PortalModelSerializer, PortalSerializer, TextField
from portal.organisations.models import ApiToken
from portal.organisations.selectors import staff_api_tokens
from portal.organisations.tokens import api_token_revoke, staff_revoke_reason

VIEW_TOKENS = "organisations.view_apitoken"
DELETE_TOKENS = "organisations.delete_apitoken"
REVOKED_MESSAGE = "Token “{name}” of {owner} was revoked."
REVOKED_CURRENT_MESSAGE = (
    "Token “{name}” of {owner} was revoked. It is the token this request was made with: "
    "every later request with it is refused (401)."
)


class StaffApiTokenSerializer(PortalModelSerializer):
    """A token as the console lists it; the key itself is never stored, so never shown."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    owner = serializers.EmailField(source="user.email", read_only=True)
    prefix = serializers.CharField(read_only=True, help_text="The first characters of the key (not a secret).")
    created_at = serializers.DateTimeField(source="created", read_only=True)
    expires_at = serializers.DateTimeField(source="expiry", read_only=True)
    expired = serializers.BooleanField(read_only=True)
    last_used_at = serializers.DateTimeField(read_only=True, allow_null=True, help_text="Null: never used.")
    console_url = serializers.SerializerMethodField(help_text="The console's token list, filtered to the owner.")

    class Meta:
        model = ApiToken
        fields = (
            "id",
            "name",
            "owner",
            "prefix",
            "scope",
            "staff",
            "created_at",
            "expires_at",
            "expired",
            "last_used_at",
            "last_used_ip",
            "console_url",
        )
        read_only_fields = fields

    def get_console_url(self, token) -> str:
        return f"{settings.SITE_URL}{reverse('organisations:staff_tokens')}?{urlencode({'q': token.user.email})}"


class ApiTokenQuerySerializer(PortalSerializer):
    """The console's token filters; they combine."""

    q = serializers.CharField(required=False, max_length=200, help_text="Owner's email or token name contains.")
    staff = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="true: staff tokens only; false: the others."
    )


class ApiTokenRevokeSerializer(PortalSerializer):
    reason = TextField(
        required=False,
        allow_blank=True,
        max_length=500,
        default="",
        help_text="Why, for the audit log (recorded as “revoked by legal staff: <reason>”). Optional.",
    )


class RevokedApiTokenSerializer(StaffApiTokenSerializer):
    """The token as it was, now revoked."""

    current_token = serializers.SerializerMethodField(
        help_text="true when the request was made with this very token: it no longer works from now on."
    )
    detail = serializers.SerializerMethodField()

    class Meta(StaffApiTokenSerializer.Meta):
        fields = (*StaffApiTokenSerializer.Meta.fields, "current_token", "detail")  # type: ignore[assignment]
        read_only_fields = fields  # type: ignore[assignment]

    def get_current_token(self, token) -> bool:
        return self.context["current_token"]

    def get_detail(self, token) -> str:
        message = REVOKED_CURRENT_MESSAGE if self.context["current_token"] else REVOKED_MESSAGE
        return message.format(name=token.name, owner=token.user.email)


class StaffApiTokenList(StaffGenericAPIView, generics.ListAPIView):
    serializer_class = StaffApiTokenSerializer
    staff_permissions = {"GET": VIEW_TOKENS}

    def get_queryset(self):
        query = ApiTokenQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return staff_api_tokens(filters=query.validated_data)

    @extend_schema(parameters=[ApiTokenQuerySerializer], responses=StaffApiTokenSerializer(many=True))
    def get(self, request, *args, **kwargs):
        """Every user's API tokens, newest first, filtered as on the console's token page. Only a digest of each
        key is stored: `prefix` is what the owner recognises it by. Expired tokens are listed until removed."""
        return super().get(request, *args, **kwargs)


def _token(public_id) -> ApiToken:
    return get_object_or_404(ApiToken.objects.select_related("user"), public_id=public_id)


class StaffApiTokenDetail(StaffAPIView):
    staff_permissions = {"GET": VIEW_TOKENS}

    @extend_schema(responses=StaffApiTokenSerializer)
    def get(self, request, public_id):
        """One token by its id (never its key)."""
        return Response(StaffApiTokenSerializer(_token(public_id)).data)


class StaffApiTokenRevoke(StaffAPIView):
    parser_classes = [JSONParser]
    staff_permissions = {"POST": DELETE_TOKENS}

    @extend_schema(
        request=ApiTokenRevokeSerializer,
        responses=RevokedApiTokenSerializer,
        examples=[OpenApiExample("Revoke a leaked token", value={"reason": "Key pasted into a ticket."})],
    )
    @idempotent
    def post(self, request, public_id):
        """Revoke a token at once, as the console's Revoke button: scripts using it are refused from their next
        request. Recorded in the audit log (`api_token.revoked`, reason “revoked by legal staff”, plus `reason`
        when given). Revoking the token this request is made with works too, and the answer says so
        (`current_token`): that caller is refused from then on."""
        token = _token(public_id)
        data = ApiTokenRevokeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        current = getattr(request.auth, "pk", None) == token.pk
        api_token_revoke(
            token=token,
            actor=request.user,
            reason=staff_revoke_reason(data.validated_data["reason"]),
            request=request,
        )
        return Response(RevokedApiTokenSerializer(token, context={"current_token": current}).data)
