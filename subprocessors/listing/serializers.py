from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portal.core.serializers import PortalModelSerializer, PortalSerializer
from subprocessors.listing.countries import COUNTRIES, REGIONS
from subprocessors.listing.forms import COUNTRY_INVALID
from subprocessors.listing.models import DESCRIPTION_FIELDS, LIFECYCLE_FIELDS, Subprocessor

# The public contract of GET /api/v1/subprocessors/: add fields only, never rename or remove them.
PUBLIC_FIELDS = ("slug", *DESCRIPTION_FIELDS, *LIFECYCLE_FIELDS)


@extend_schema_field(
    {"oneOf": [{"type": "string", "format": "uri"}, {"type": "string", "enum": [""]}], "readOnly": True}
)
class _OptionalUrlField(serializers.URLField):
    """A URL, or "" when none is recorded (a read-only field loses DRF's allow_blank, so say it here)."""


class SubprocessorSerializer(PortalModelSerializer):
    website = _OptionalUrlField(read_only=True, allow_blank=True)

    class Meta:
        model = Subprocessor
        fields = PUBLIC_FIELDS
        read_only_fields = PUBLIC_FIELDS


class SubprocessorQuerySerializer(PortalSerializer):
    """Query parameters of the list endpoint; an invalid value answers 400 with the field's message."""

    category = serializers.ChoiceField(choices=Subprocessor.Category.choices, required=False)
    eea_only = serializers.BooleanField(required=False, allow_null=True, default=None)
    retains_prompts = serializers.BooleanField(required=False, allow_null=True, default=None)
    trains_on_data = serializers.BooleanField(required=False, allow_null=True, default=None)
    country = serializers.CharField(
        required=False, max_length=2, help_text="ISO 3166-1 alpha-2 code (or EU); matches HQ or processing region."
    )
    search = serializers.CharField(required=False, max_length=100, help_text="Words in name, entity, purpose…")
    status = serializers.ChoiceField(
        choices=[("active", "active"), ("retired", "retired"), ("all", "all (active and retired)")],
        required=False,
        default="active",
    )
    page = serializers.IntegerField(required=False, min_value=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=200)

    def validate_country(self, value):
        code = value.strip().upper()
        if code not in COUNTRIES and code not in REGIONS:
            raise serializers.ValidationError(COUNTRY_INVALID)
        return code
