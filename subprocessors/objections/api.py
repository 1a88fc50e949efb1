"""API: an enterprise customer files an objection to an announced change."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.core.idempotency import idempotent
from portal.core.serializers import PortalModelSerializer, PortalSerializer, TextField
from portal.organisations.models import Organisation
from subprocessors.changes.models import SubprocessorChange
from subprocessors.objections.models import Objection
from subprocessors.objections.services import (
    GROUNDS_MIN_LENGTH,
    OBJECTION_GROUNDS_SHORT,
    OBJECTION_NOT_MEMBER,
    objection_create,
)


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
    @idempotent
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
