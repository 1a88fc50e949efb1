"""Public API of announced changes (the same notice the webhooks carry, see payloads.py)."""

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, serializers

from portal.core.serializers import PortalModelSerializer, PortalSerializer
from subprocessors.changes.models import SubprocessorChange
from subprocessors.changes.payloads import OBJECTION_TERMS
from subprocessors.changes.selectors import PUBLIC_STATUSES, public_changes


class _PartySerializer(PortalSerializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class NoticeSubprocessorSerializer(PortalSerializer):
    """What a controller needs to assess a sub-processor (DPA clause 7 and the list's own columns)."""

    slug = serializers.CharField()
    name = serializers.CharField()
    legal_entity = serializers.CharField()
    category = serializers.CharField()
    purpose = serializers.CharField()
    processes_customer_data = serializers.BooleanField()
    customer_data_note = serializers.CharField()
    hq_country = serializers.CharField(help_text="ISO 3166-1 alpha-2")
    hq_country_name = serializers.CharField()
    processing_location = serializers.CharField(source="location", help_text="location and safeguards")
    processing_region = serializers.CharField(help_text="ISO 3166-1 alpha-2, or EU")
    processing_region_name = serializers.CharField()
    eea_only = serializers.BooleanField()
    retains_prompts = serializers.BooleanField()
    trains_on_data = serializers.BooleanField()
    retention_training = serializers.CharField()
    website = serializers.CharField()


class HowToObjectSerializer(PortalSerializer):
    deadline = serializers.DateTimeField(source="objection_deadline")
    url = serializers.SerializerMethodField(help_text="the objection form (signed-in members)")
    api = serializers.SerializerMethodField(help_text="POST {organisation, grounds} here")
    who = serializers.SerializerMethodField()

    def get_url(self, change) -> str:
        return settings.SITE_URL + reverse("objections:new", args=[change.public_id])

    def get_api(self, change) -> str:
        return settings.SITE_URL + reverse("objections:api_create", args=[change.public_id])

    def get_who(self, change) -> str:
        return OBJECTION_TERMS


class SubprocessorChangeSerializer(PortalModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    subprocessor = NoticeSubprocessorSerializer(read_only=True)
    replaces: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    objection_deadline = serializers.DateTimeField(read_only=True)
    held = serializers.BooleanField(source="is_held", read_only=True)
    how_to_object = HowToObjectSerializer(source="*", read_only=True)

    class Meta:
        model = SubprocessorChange
        fields = (
            "id",
            "kind",
            "subprocessor",
            "replaces",
            "modification",
            "reason",
            "status",
            "held",
            "held_at",
            "announced_at",
            "effective_date",
            "previous_effective_date",
            "postponed_at",
            "postponement_reason",
            "objection_deadline",
            "how_to_object",
        )
        read_only_fields = fields


class StatusFilterSerializer(PortalSerializer):
    status = serializers.ChoiceField(choices=[s for s in PUBLIC_STATUSES], required=False)


@extend_schema(
    parameters=[
        OpenApiParameter("status", str, enum=list(PUBLIC_STATUSES), description="announced, held, effective, withdrawn")
    ]
)
class SubprocessorChangeList(generics.ListAPIView):
    """Announced, held, effective and withdrawn sub-processor changes, latest effective date first.

    `held`: the effective date came before every enterprise customer had a notice delivered 10 business days
    ahead; the change waits to be postponed (a new date, everyone notified again) or withdrawn."""

    serializer_class = SubprocessorChangeSerializer
    permission_classes = [permissions.AllowAny]

    def get_queryset(self):
        params = StatusFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return public_changes(status=params.validated_data.get("status"))
