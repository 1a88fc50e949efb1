"""Staff API of customer organisations: list, read (members and contacts, as the console shows them), and change
the tier, email domain and contacts through the same service as the console's edit page."""

from django.conf import settings
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from portal.core.api_staff import StaffAPIView, StaffGenericAPIView
from portal.core.serializers import PortalModelSerializer, PortalSerializer
from portal.organisations.filters import OrganisationFilter
from portal.organisations.models import Membership, Organisation
from portal.organisations.selectors import staff_organisations
from portal.organisations.services import organisation_update

VIEW_ORGANISATIONS = "organisations.view_organisation"
CHANGE_ORGANISATIONS = "organisations.change_organisation"
CONTACT_FIELDS = ("privacy_contact_email", "breach_contact_name", "breach_contact_email", "breach_contact_phone")


class StaffOrganisationSerializer(PortalModelSerializer):
    """A customer organisation: tier, email domain, contacts and number of members."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    member_count = serializers.IntegerField(read_only=True)
    # Plain strings: each may be empty ("" is no email address for the schema's `format: email`).
    privacy_contact_email = serializers.CharField(read_only=True)
    breach_contact_email = serializers.CharField(read_only=True)
    console_url = serializers.SerializerMethodField()

    class Meta:
        model = Organisation
        fields = (
            "id",
            "name",
            "tier",
            "email_domain",
            *CONTACT_FIELDS,
            "member_count",
            "created_at",
            "updated_at",
            "console_url",
        )
        read_only_fields = fields

    def get_console_url(self, org) -> str:
        return f"{settings.SITE_URL}{reverse('organisations:staff_edit', args=[org.public_id])}"


class StaffMemberSerializer(PortalModelSerializer):
    """A member of the organisation."""

    email = serializers.EmailField(source="user.email", read_only=True)
    joined_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Membership
        fields = ("email", "role", "joined_at")
        read_only_fields = fields


class StaffOrganisationDetailSerializer(StaffOrganisationSerializer):
    """A customer organisation with its members."""

    members = StaffMemberSerializer(source="memberships", many=True, read_only=True)

    class Meta(StaffOrganisationSerializer.Meta):
        fields = (*StaffOrganisationSerializer.Meta.fields, "members")  # type: ignore[assignment]
        read_only_fields = fields  # type: ignore[assignment]


class OrganisationQuerySerializer(PortalSerializer):
    """The console's organisation filters."""

    q = serializers.CharField(required=False, max_length=200, help_text="Name contains.")
    tier = serializers.ChoiceField(choices=Organisation.Tier.choices, required=False)


class StaffOrganisationUpdateSerializer(PortalSerializer):
    """The console's plan form (tier, email domain) and the organisation's contacts. Only the fields sent change."""

    tier = serializers.ChoiceField(choices=Organisation.Tier.choices, required=False)
    email_domain = serializers.CharField(
        max_length=253, required=False, allow_blank=True, help_text="e.g. example.com (trust-portal auto-approval)."
    )
    privacy_contact_email = serializers.EmailField(
        required=False, allow_blank=True, help_text="Receives sub-processor change notices."
    )
    breach_contact_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    breach_contact_email = serializers.EmailField(
        required=False, allow_blank=True, help_text="Receives personal-data breach notifications."
    )
    breach_contact_phone = serializers.CharField(
        max_length=40, required=False, allow_blank=True, help_text="With the country code, e.g. +31 20 123 4567."
    )


def _detail_queryset():
    members = Membership.objects.select_related("user").order_by("user__email", "id")
    return staff_organisations().prefetch_related(Prefetch("memberships", queryset=members))


class StaffOrganisationList(StaffGenericAPIView, generics.ListAPIView):
    serializer_class = StaffOrganisationSerializer
    staff_permissions = {"GET": VIEW_ORGANISATIONS}

    def get_queryset(self):
        return OrganisationFilter(self._filters, queryset=staff_organisations().order_by("name", "id")).qs

    def list(self, request, *args, **kwargs):
        query = OrganisationQuerySerializer(data=request.query_params)
        if not query.is_valid():
            raise ValidationError(query.errors)
        self._filters = query.validated_data
        return super().list(request, *args, **kwargs)

    @extend_schema(parameters=[OrganisationQuerySerializer])
    def get(self, request, *args, **kwargs):
        """Customer organisations by name, with their tier, email domain, contacts and number of members."""
        return super().get(request, *args, **kwargs)


class StaffOrganisationDetail(StaffAPIView):
    parser_classes = [JSONParser]  # a form body would read an empty choice as "not sent"
    staff_permissions = {"GET": VIEW_ORGANISATIONS, "PATCH": CHANGE_ORGANISATIONS}

    @extend_schema(responses=StaffOrganisationDetailSerializer)
    def get(self, request, public_id):
        """One organisation with its contacts and members (email and role), as the console's page shows it."""
        return Response(
            StaffOrganisationDetailSerializer(get_object_or_404(_detail_queryset(), public_id=public_id)).data
        )

    @extend_schema(
        request=StaffOrganisationUpdateSerializer,
        responses=StaffOrganisationDetailSerializer,
        examples=[
            OpenApiExample(
                "Upgrade to enterprise and set the privacy contact",
                value={
                    "tier": "enterprise",
                    "email_domain": "acme.example",
                    "privacy_contact_email": "dpo@acme.example",
                },
                request_only=True,
            )
        ],
    )
    def patch(self, request, public_id):
        """Change the tier, the email domain or the contacts; only the fields sent change. A tier change is audited
        as `organisation.tier_changed`, anything else as `organisation.updated` (nothing when nothing changed)."""
        org = get_object_or_404(Organisation, public_id=public_id)
        data = StaffOrganisationUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organisation_update(organisation=org, actor=request.user, data=dict(data.validated_data), request=request)
        return Response(StaffOrganisationDetailSerializer(_detail_queryset().get(pk=org.pk)).data)
