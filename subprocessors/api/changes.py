"""Public API of announced changes, and objections for signed-in customers."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.models import Organisation
from portal.serializers import PortalModelSerializer, PortalSerializer, TextField
from subprocessors.models import Objection, SubprocessorChange
from subprocessors.selectors.changes import PUBLIC_STATUSES, public_changes
from subprocessors.services.objections import (
    GROUNDS_MIN_LENGTH,
    OBJECTION_GROUNDS_SHORT,
    OBJECTION_NOT_MEMBER,
    objection_create,
)


class _PartySerializer(PortalSerializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class SubprocessorChangeSerializer(PortalModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    subprocessor = _PartySerializer(read_only=True)
    replaces = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    objection_deadline = serializers.DateTimeField(read_only=True)

    class Meta:
        model = SubprocessorChange
        fields = (
            "id",
            "kind",
            "subprocessor",
            "replaces",
            "reason",
            "status",
            "announced_at",
            "effective_date",
            "objection_deadline",
        )
        read_only_fields = fields


class StatusFilterSerializer(PortalSerializer):
    status = serializers.ChoiceField(choices=[s for s in PUBLIC_STATUSES], required=False)


@extend_schema(
    parameters=[
        OpenApiParameter("status", str, enum=list(PUBLIC_STATUSES), description="announced, effective, withdrawn")
    ]
)
class SubprocessorChangeList(generics.ListAPIView):
    """Announced, effective and withdrawn sub-processor changes, latest effective date first."""

    serializer_class = SubprocessorChangeSerializer
    permission_classes = [permissions.AllowAny]

    def get_queryset(self):
        params = StatusFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return public_changes(status=params.validated_data.get("status"))


class ObjectionCreateSerializer(PortalSerializer):
    organisation = serializers.UUIDField(help_text="public id of your organisation")
    # The service's own rule, stated here too so that the schema documents it (minLength).
    grounds = TextField(
        min_length=GROUNDS_MIN_LENGTH,
        error_messages={"min_length": OBJECTION_GROUNDS_SHORT},
        help_text="data-protection grounds of the objection",
    )


class ObjectionSerializer(PortalModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    organisation = serializers.UUIDField(source="organisation.public_id", read_only=True)
    change = serializers.UUIDField(source="change.public_id", read_only=True)

    class Meta:
        model = Objection
        fields = ("id", "change", "organisation", "grounds", "status", "created_at")
        read_only_fields = fields


class ObjectionCreate(APIView):
    """File an objection to an announced change (members of a customer organisation, before the deadline)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=ObjectionCreateSerializer, responses={201: ObjectionSerializer})
    def post(self, request, public_id):
        change = get_object_or_404(
            SubprocessorChange.objects.exclude(status=SubprocessorChange.Status.DRAFT), public_id=public_id
        )
        data = ObjectionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organisation = Organisation.objects.filter(
            public_id=data.validated_data["organisation"], memberships__user=request.user
        ).first()
        if organisation is None:
            return Response({"organisation": [OBJECTION_NOT_MEMBER]}, status=status.HTTP_400_BAD_REQUEST)
        objection = objection_create(
            change=change,
            organisation=organisation,
            grounds=data.validated_data["grounds"],
            actor=request.user,
            request=request,
        )
        return Response(ObjectionSerializer(objection).data, status=status.HTTP_201_CREATED)
