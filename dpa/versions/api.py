"""DRF endpoints for DPA versions: public reads, legal writes, publishing."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from dpa.versions.models import DpaVersion
from dpa.versions.selectors import public_versions, staff_versions
from dpa.versions.services import dpa_version_create, dpa_version_publish, dpa_version_update
from portal.core.idempotency import idempotent
from portal.core.permissions import IsLegalStaff, is_staff_verified
from portal.core.serializers import PortalModelSerializer

LABEL_PARAMETER = OpenApiParameter(
    "label",
    str,
    OpenApiParameter.PATH,
    pattern=r"^[0-9A-Za-z][0-9A-Za-z.\-]*$",
    description="Version label, e.g. 2026.1.",
)


class VersionSerializer(PortalModelSerializer):
    class Meta:
        model = DpaVersion
        fields = ("label", "title", "status", "effective_date", "change_summary", "published_at")
        read_only_fields = ("status", "published_at")


class VersionWriteSerializer(PortalModelSerializer):
    class Meta:
        model = DpaVersion
        fields = ("label", "title", "status", "effective_date", "change_summary", "body", "published_at")
        read_only_fields = ("status", "published_at")


class LegalWritesOnly(permissions.BasePermission):
    message = IsLegalStaff.message

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or IsLegalStaff().has_permission(request, view)


class VersionListCreate(generics.ListCreateAPIView):
    """Published and superseded versions with their summaries (public). Legal staff also see drafts and create
    new drafts with POST."""

    permission_classes = [LegalWritesOnly]

    def get_queryset(self):
        return staff_versions() if is_staff_verified(self.request.user) else public_versions()

    def get_serializer_class(self):
        return VersionWriteSerializer if self.request.method == "POST" else VersionSerializer

    post = idempotent(generics.ListCreateAPIView.post)

    def create(self, request, *args, **kwargs):
        serializer = VersionWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = dpa_version_create(actor=request.user, request=request, **serializer.validated_data)
        return Response(VersionWriteSerializer(version).data, status=status.HTTP_201_CREATED)


# The serializer depends on the caller (legal staff read and write the body too); the schema is generated without
# one, so name the write serializer for the legal-only PUT and PATCH.
@extend_schema(parameters=[LABEL_PARAMETER])
@extend_schema_view(
    put=extend_schema(request=VersionWriteSerializer, responses=VersionWriteSerializer),
    patch=extend_schema(request=VersionWriteSerializer, responses=VersionWriteSerializer),
)
class VersionDetail(generics.RetrieveUpdateAPIView):
    """One version. PATCH/PUT (legal staff) edit a draft; a published version answers 400 and stays unchanged."""

    permission_classes = [LegalWritesOnly]
    lookup_field = "label"

    def get_queryset(self):
        return staff_versions() if is_staff_verified(self.request.user) else public_versions()

    def get_serializer_class(self):
        return VersionWriteSerializer if is_staff_verified(self.request.user) else VersionSerializer

    def update(self, request, *args, **kwargs):
        version = self.get_object()
        serializer = VersionWriteSerializer(version, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        version = dpa_version_update(
            version=version, data=serializer.validated_data, actor=request.user, request=request
        )
        return Response(VersionWriteSerializer(version).data)


class VersionPublish(APIView):
    permission_classes = [IsLegalStaff]

    @extend_schema(request=None, responses=VersionSerializer, parameters=[LABEL_PARAMETER])
    @idempotent
    def post(self, request, label):
        version = get_object_or_404(DpaVersion, label=label)
        if not request.user.has_perm("versions.publish_dpaversion"):
            return Response({"detail": "You may not publish DPA versions."}, status=status.HTTP_403_FORBIDDEN)
        version = dpa_version_publish(version=version, actor=request.user, request=request)
        return Response(VersionSerializer(version).data)
