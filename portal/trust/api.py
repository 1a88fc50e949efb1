"""API: access requests (own; all for legal staff), decisions for legal staff, and the documents the caller may
open. Session or per-user token authentication (`Authorization: Token <key>`)."""

from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.core.api_schema import ERROR_SCHEMA
from portal.core.clients import client_ip
from portal.core.idempotency import idempotent
from portal.core.permissions import IsLegalStaff
from portal.core.serializers import PortalModelSerializer, PortalSerializer, TextField
from portal.organisations.models import Organisation
from portal.trust.models import AccessRequest, GrantLevel
from portal.trust.selectors import access_queue, access_requests_for_user, current_nda, documents_for
from portal.trust.services import access_request_submit


class AccessRequestSerializer(PortalModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    reference = serializers.CharField(read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    organisation = serializers.UUIDField(source="organisation.public_id", read_only=True, allow_null=True)
    nda_version = serializers.CharField(source="nda_version.version", read_only=True)
    # Declared, not generated: DRF drops allow_blank from read-only model fields, and `level` is "" until approved.
    level = serializers.ChoiceField(choices=GrantLevel.choices, allow_blank=True, read_only=True)

    class Meta:
        model = AccessRequest
        fields = (
            "id",
            "reference",
            "email",
            "organisation",
            "company",
            "job_role",
            "reason",
            "status",
            "submitted_at",
            "due_at",
            "chase_after",
            "nda_version",
            "nda_accepted_at",
            "level",
            "expires_at",
            "decided_at",
            "decision_note",
            "denial_reason",
        )
        read_only_fields = fields


class AccessRequestCreateSerializer(PortalSerializer):
    company = serializers.CharField(max_length=200, required=False, allow_blank=True)
    job_role = serializers.CharField(max_length=120)
    reason = TextField(max_length=2000)
    organisation = serializers.UUIDField(required=False, allow_null=True)
    nda_version = serializers.CharField(help_text="The version of the NDA being accepted (GET /api/v1/nda/).")
    accept_nda = serializers.BooleanField()


class ApproveSerializer(PortalSerializer):
    level = serializers.ChoiceField(choices=GrantLevel.choices)
    expires_on = serializers.DateField(required=False)
    note = TextField(required=False, allow_blank=True, max_length=2000)


class DenySerializer(PortalSerializer):
    reason = TextField(max_length=2000)


class AccessRequestListCreate(generics.ListAPIView):
    serializer_class = AccessRequestSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        user = self.request.user
        if IsLegalStaff().has_permission(self.request, self):
            return access_queue(filters={"status": self.request.query_params.get("status") or "all"}).select_related(
                "nda_version"
            )
        return access_requests_for_user(user)

    @extend_schema(request=AccessRequestCreateSerializer, responses={201: AccessRequestSerializer})
    @idempotent
    def post(self, request):
        data = AccessRequestCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        organisation = None
        if d.get("organisation"):
            organisation = Organisation.objects.filter(public_id=d["organisation"]).first()
            if organisation is None:
                raise serializers.ValidationError({"organisation": ["Unknown organisation."]})
        nda = current_nda()
        req = access_request_submit(
            user=request.user,
            organisation=organisation,
            company=d.get("company", ""),
            job_role=d["job_role"],
            reason=d["reason"],
            nda_version=nda if nda and nda.version == d["nda_version"] else None,
            nda_accepted=d["accept_nda"],
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            request=request,
        )
        return Response(AccessRequestSerializer(req).data, status=201)


class DocumentSerializer(PortalSerializer):
    id = serializers.UUIDField(source="public_id")
    title = serializers.CharField()
    description = serializers.CharField()
    category = serializers.CharField()
    access_level = serializers.CharField()
    version = serializers.CharField(source="current_version.version")
    published_on = serializers.DateField(source="current_version.published_on")
    size = serializers.IntegerField(source="current_version.size")
    sha256 = serializers.CharField(source="current_version.sha256")
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, doc) -> str:
        return self.context["request"].build_absolute_uri(reverse("trust:document_file", args=[doc.public_id]))


class NdaView(APIView):
    """The current click-through NDA; send its `version` with `accept_nda: true` when requesting access."""

    permission_classes = [AllowAny]

    @extend_schema(
        responses={
            200: inline_serializer(
                "Nda",
                {
                    "version": serializers.CharField(),
                    "title": serializers.CharField(),
                    "text": serializers.CharField(),
                    "published_at": serializers.DateTimeField(),
                },
            ),
            404: OpenApiResponse(ERROR_SCHEMA, description="No NDA is published yet."),
        }
    )
    def get(self, request):
        nda = current_nda()
        if nda is None:
            return Response({"detail": "No NDA is published."}, status=404)
        return Response(
            {"version": nda.version, "title": nda.title, "text": nda.body, "published_at": nda.published_at}
        )


class DocumentList(APIView):
    """Documents the caller may open (public ones for anonymous callers)."""

    permission_classes = [AllowAny]

    @extend_schema(
        responses=inline_serializer("DocumentList", {"results": DocumentSerializer(many=True)}),
    )
    def get(self, request):
        docs = [doc for doc, ok in documents_for(request.user) if ok]
        return Response({"results": DocumentSerializer(docs, many=True, context={"request": request}).data})
