"""Staff API of the sub-processor list (`/api/v1/staff/subprocessors/`): what the staff pages
(`views_staff.py`) do, through the same services, permissions and audit events.

The writable fields carry the public API's names (`GET /api/v1/subprocessors/`), so a script can read the public
list, edit a row and write it back; `position` (the order within its table) is the one staff-only addition."""

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from portal.core.api import Pagination
from portal.core.api_staff import StaffGenericAPIView
from portal.core.idempotency import idempotent
from portal.core.serializers import PortalModelSerializer, PortalSerializer
from subprocessors.listing.filters import SubprocessorFilter
from subprocessors.listing.models import (
    DESCRIPTION_FIELDS,
    LIFECYCLE_FIELDS,
    Subprocessor,
    validate_country,
    validate_region,
)
from subprocessors.listing.selectors import staff_subprocessors
from subprocessors.listing.serializers import PUBLIC_FIELDS
from subprocessors.listing.services import (
    SLUG_UNCHANGEABLE,
    subprocessor_create,
    subprocessor_slug_for,
    subprocessor_update,
)

VIEW = "listing.view_subprocessor"
ADD = "listing.add_subprocessor"
CHANGE = "listing.change_subprocessor"
WRITABLE_FIELDS = (*DESCRIPTION_FIELDS, *LIFECYCLE_FIELDS, "position")
SLUG_PARAMETER = OpenApiParameter("slug", str, OpenApiParameter.PATH, pattern=r"^[-a-zA-Z0-9_]+$")


def console_url(subprocessor: Subprocessor) -> str:
    return settings.SITE_URL + reverse("listing:staff_edit", args=[subprocessor.slug])


class _CodeField(serializers.CharField):
    """A country or region code, upper-cased before it is checked (as the staff form does)."""

    def to_internal_value(self, data):
        return super().to_internal_value(data).strip().upper()


class StaffSubprocessorSerializer(PortalModelSerializer):
    """A row of the list in any status, with the public API's field names. `slug` is its id: given on creation
    (or made from the name) and never changed; sending the same slug back is accepted."""

    slug = serializers.SlugField(
        max_length=80,
        required=False,
        help_text="Its id, part of the public URL and API. Made from the name when left out; cannot change.",
    )
    hq_country = _CodeField(max_length=2, validators=[validate_country], help_text="ISO 3166-1 alpha-2, e.g. NL.")
    processing_region = _CodeField(
        max_length=2, validators=[validate_region], help_text="ISO 3166-1 alpha-2, or EU for EU-wide processing."
    )
    console_url = serializers.SerializerMethodField(help_text="The staff page of this sub-processor.")

    class Meta:
        model = Subprocessor
        fields = (*PUBLIC_FIELDS, "position", "created_at", "updated_at", "console_url")
        read_only_fields = ("created_at", "updated_at", "console_url")
        extra_kwargs = {
            "status": {
                "help_text": "proposed (not public yet), active or retired. Making a processor of customer data "
                "active goes through a change notice (`/api/v1/staff/subprocessor-changes/`)."
            },
            "retired_on": {"help_text": "Filled in with today when a row is retired without one."},
        }

    def get_console_url(self, subprocessor) -> str:
        return console_url(subprocessor)

    def validate_slug(self, value: str) -> str:
        if self.instance is not None and value != self.instance.slug:
            raise serializers.ValidationError(SLUG_UNCHANGEABLE)
        if self.instance is None and Subprocessor.objects.filter(slug=value).exists():
            raise serializers.ValidationError("A sub-processor with this slug exists already.")
        return value


class StaffSubprocessorQuerySerializer(PortalSerializer):
    """The staff list's filters; an invalid value answers 400 with the field's message."""

    q = serializers.CharField(required=False, max_length=100, help_text="Name contains.")
    status = serializers.ChoiceField(choices=Subprocessor.Status.choices, required=False)
    category = serializers.ChoiceField(choices=Subprocessor.Category.choices, required=False)


class SubprocessorRetireSerializer(PortalSerializer):
    retired_on = serializers.DateField(
        required=False, help_text="Defaults to today (portal time zone); a retired row keeps its date."
    )


SUBPROCESSOR_EXAMPLE = OpenApiExample(
    "A controller-data service provider",
    value={
        "name": "Phare.io",
        "legal_entity": "Phare SAS",
        "category": "controller_data",
        "purpose": "Status page",
        "processes_customer_data": False,
        "customer_data_note": "",
        "location": "EU",
        "hq_country": "FR",
        "processing_region": "EU",
        "eea_only": True,
        "retains_prompts": False,
        "trains_on_data": False,
        "website": "https://phare.io",
        "status": "active",
    },
    request_only=True,
)


def _data(validated: dict) -> dict:
    return {name: validated[name] for name in ("slug", *WRITABLE_FIELDS) if name in validated}


class StaffSubprocessorList(StaffGenericAPIView):
    serializer_class = StaffSubprocessorSerializer
    pagination_class = Pagination
    parser_classes = [JSONParser]
    staff_permissions = {"GET": VIEW, "POST": ADD}

    @extend_schema(
        parameters=[StaffSubprocessorQuerySerializer],
        responses=StaffSubprocessorSerializer(many=True),
        summary="Every sub-processor (proposed, active, retired)",
    )
    def get(self, request):
        """Every row of the list whatever its status, as the staff list page shows it, in the public list's order
        (table, position, name). Filters as on that page: `q` (name contains), `status`, `category`."""
        query = StaffSubprocessorQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filterset = SubprocessorFilter(query.validated_data, queryset=staff_subprocessors())
        page = self.paginate_queryset(filterset.qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=StaffSubprocessorSerializer,
        responses={201: StaffSubprocessorSerializer},
        examples=[SUBPROCESSOR_EXAMPLE],
        summary="Add a sub-processor",
    )
    @idempotent
    def post(self, request):
        """Add a row, as the staff page's "New sub-processor" does: `proposed` by default (not public yet). An
        active processor of customer data cannot be added directly: it needs a change notice to customers (draft
        an `add` change with `new_subprocessor` at `/api/v1/staff/subprocessor-changes/`); the answer is then 400
        and nothing is created. Without a `slug`, one is made from the name."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = _data(serializer.validated_data)
        data.setdefault("slug", subprocessor_slug_for(data.get("name", "")))
        sp = subprocessor_create(data=data, actor=request.user, request=request)
        return Response(self.get_serializer(sp).data, status=status.HTTP_201_CREATED)


@extend_schema(parameters=[SLUG_PARAMETER])
class StaffSubprocessorDetail(StaffGenericAPIView):
    serializer_class = StaffSubprocessorSerializer
    parser_classes = [JSONParser]
    staff_permissions = {"GET": VIEW, "PATCH": CHANGE}
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return get_object_or_404(Subprocessor, slug=self.kwargs["slug"])

    @extend_schema(responses=StaffSubprocessorSerializer, summary="One sub-processor, any status")
    def get(self, request, slug):
        """One row by slug, whatever its status (a proposed row too)."""
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        request=StaffSubprocessorSerializer,
        responses=StaffSubprocessorSerializer,
        examples=[OpenApiExample("Correct the purpose", value={"purpose": "Status page and incident e-mails"})],
        summary="Edit a sub-processor",
    )
    def patch(self, request, slug):
        """Change fields, as the staff edit page does; every change is recorded in the list's history and the
        audit log. Text corrections are always allowed; activating a processor of customer data, or changing its
        entity, HQ, region or category, or weakening its safeguards amounts to adding or replacing one and needs a
        change notice (400, nothing changed). Setting `status` to `retired` retires it (see `retire/`). A body
        that changes nothing records nothing."""
        sp = self.get_object()
        serializer = self.get_serializer(sp, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = _data(serializer.validated_data)
        data.pop("slug", None)
        changed = {k: v for k, v in data.items() if getattr(sp, k) != v}
        if changed:
            sp = subprocessor_update(subprocessor=sp, data=changed, actor=request.user, request=request)
        return Response(self.get_serializer(sp).data)


@extend_schema(parameters=[SLUG_PARAMETER])
class StaffSubprocessorRetire(StaffGenericAPIView):
    serializer_class = StaffSubprocessorSerializer
    parser_classes = [JSONParser]
    staff_permissions = {"POST": CHANGE}

    @extend_schema(
        request=SubprocessorRetireSerializer,
        responses=StaffSubprocessorSerializer,
        examples=[
            OpenApiExample("Retired today", value={}),
            OpenApiExample("On a date", value={"retired_on": "2027-01-31"}),
        ],
        summary="Retire a sub-processor now",
    )
    @idempotent
    def post(self, request, slug):
        """Take a row off the list at once, as the staff edit page does when its status is set to retired (same
        service, same history entry and audit event). Customers are not told in advance: to announce a removal
        before it happens, draft a `remove` change at `/api/v1/staff/subprocessor-changes/` instead; it retires
        the row on its effective date."""
        sp = get_object_or_404(Subprocessor, slug=slug)
        body = SubprocessorRetireSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        # Without a date the service fills in today, and a row retired already keeps its date.
        sp = subprocessor_update(
            subprocessor=sp,
            data={"status": Subprocessor.Status.RETIRED, **body.validated_data},
            actor=request.user,
            request=request,
        )
        return Response(self.get_serializer(sp).data)
