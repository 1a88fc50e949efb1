"""Staff API of sub-processor changes (`/api/v1/staff/subprocessor-changes/`): draft, edit, delete, announce and
withdraw, as the staff pages (`views.py`) do, through the same services, permissions and audit events.
Postponement and the proof of notice are in `subprocessors/notices/api_staff.py`, as their pages are."""

import datetime as dt

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from portal.core.api import Pagination
from portal.core.api_staff import StaffGenericAPIView
from portal.core.idempotency import idempotent
from portal.core.serializers import PortalModelSerializer, PortalSerializer, TextField
from subprocessors.changes.filters import ChangeFilter
from subprocessors.changes.forms import NEEDS_EXISTING, SUBPROCESSOR_REQUIRED
from subprocessors.changes.models import SubprocessorChange
from subprocessors.changes.selectors import change_notice_counts, staff_changes
from subprocessors.changes.services import (
    change_announce,
    change_create,
    change_create_with_subprocessor,
    change_delete,
    change_update,
    change_withdraw,
)
from subprocessors.changes.views import ADD, ANNOUNCE, VIEW
from subprocessors.listing.api_staff import StaffSubprocessorSerializer
from subprocessors.listing.models import DESCRIPTION_FIELDS, Subprocessor
from subprocessors.listing.services import subprocessor_slug_for

NEW_ONLY_FOR_ADDITIONS = "Only an addition or a replacement brings a new sub-processor; name the existing one instead."
EITHER_EXISTING_OR_NEW = "Name an existing proposed sub-processor (`subprocessor`) or describe a new one, not both."
NAME_OR_DESCRIBE = "Name the proposed sub-processor by its slug, or describe a new one in `new_subprocessor`."
DATE_TOO_EARLY = "Enter a date from 1 January 2000 on."
PUBLIC_ID_PARAMETER = OpenApiParameter(
    "public_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The change's `id`."
)


def plausible_date(value: dt.date) -> None:
    """Input hygiene, not a rule of the notice: a date before 2000 is a typo (and its time zone offset in the
    objection deadline would be local mean time, not a valid RFC 3339 offset)."""
    if value < dt.date(2000, 1, 1):
        raise serializers.ValidationError(DATE_TOO_EARLY)


def change_for_staff(public_id) -> SubprocessorChange:
    """The change with what the staff API shows (parties, objection counts), or 404."""
    return get_object_or_404(staff_changes(), public_id=public_id)


class ChangePartySerializer(PortalModelSerializer):
    console_url = serializers.SerializerMethodField()

    class Meta:
        model = Subprocessor
        fields = ("slug", "name", "legal_entity", "status", "console_url")
        read_only_fields = fields

    def get_console_url(self, subprocessor) -> str:
        return settings.SITE_URL + reverse("listing:staff_edit", args=[subprocessor.slug])


class NoticeCountsSerializer(PortalSerializer):
    """The notice so far (as the change page shows it)."""

    recipients = serializers.IntegerField(help_text="Addresses the notice goes to.")
    announce_sent = serializers.IntegerField(help_text="Announcements the mail server accepted.")
    announce_failed = serializers.IntegerField(help_text="Announcements that failed for good.")
    announce_missing = serializers.IntegerField(help_text="Recipients whose announcement is not created yet.")
    delivered = serializers.IntegerField(help_text="Recipients with a notice delivered (any round).")
    delivered_on_time = serializers.IntegerField(help_text="Of those, delivered before the notice deadline.")
    organisations_without_notice = serializers.IntegerField(
        help_text="Enterprise customers without a notice delivered in time: the change is held on its date."
    )


class StaffChangeSerializer(PortalModelSerializer):
    """A sub-processor change in any status (drafts included)."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    headline = serializers.CharField(read_only=True)
    held = serializers.BooleanField(source="is_held", read_only=True)
    subprocessor = ChangePartySerializer(read_only=True)
    replaces = ChangePartySerializer(read_only=True, allow_null=True)
    objection_deadline = serializers.DateTimeField(read_only=True)
    objection_count = serializers.IntegerField(read_only=True)
    open_objection_count = serializers.IntegerField(read_only=True)
    console_url = serializers.SerializerMethodField(help_text="The staff page of this change.")
    notice_url = serializers.SerializerMethodField(help_text="Proof of notice (JSON) in this API.")
    notice_csv_url = serializers.SerializerMethodField(help_text="Proof of notice (CSV) in this API.")

    class Meta:
        model = SubprocessorChange
        fields = (
            "id",
            "kind",
            "status",
            "held",
            "headline",
            "subprocessor",
            "replaces",
            "modification",
            "reason",
            "effective_date",
            "objection_deadline",
            "notice_deadline_at",
            "announced_at",
            "held_at",
            "postponements",
            "postponed_at",
            "previous_effective_date",
            "postponement_reason",
            "withdrawn_at",
            "withdrawal_reason",
            "effective_at",
            "objection_count",
            "open_objection_count",
            "created_at",
            "updated_at",
            "console_url",
            "notice_url",
            "notice_csv_url",
        )
        read_only_fields = fields

    def get_console_url(self, change) -> str:
        return settings.SITE_URL + reverse("changes:staff_detail", args=[change.public_id])

    def get_notice_url(self, change) -> str:
        return settings.SITE_URL + reverse("notices:api_staff_notice", args=[change.public_id])

    def get_notice_csv_url(self, change) -> str:
        return settings.SITE_URL + reverse("notices:api_staff_notice_csv", args=[change.public_id])


class StaffChangeDetailSerializer(StaffChangeSerializer):
    """One change, with its notice counts once announced (null for a draft)."""

    notice = serializers.SerializerMethodField()

    class Meta(StaffChangeSerializer.Meta):
        fields = (*StaffChangeSerializer.Meta.fields, "notice")  # type: ignore[assignment]
        read_only_fields = fields  # type: ignore[assignment]

    @extend_schema_field(NoticeCountsSerializer(allow_null=True))
    def get_notice(self, change) -> dict | None:
        return change_notice_counts(change=change) if change.announced_at else None


class StaffChangeQuerySerializer(PortalSerializer):
    """The staff list's filters; an invalid value answers 400 with the field's message."""

    q = serializers.CharField(required=False, max_length=100, help_text="Sub-processor name contains.")
    status = serializers.ChoiceField(choices=SubprocessorChange.Status.choices, required=False)
    kind = serializers.ChoiceField(choices=SubprocessorChange.Kind.choices, required=False)


class NewSubprocessorSerializer(StaffSubprocessorSerializer):
    """The proposed sub-processor an addition or a replacement brings, created with the change."""

    class Meta(StaffSubprocessorSerializer.Meta):
        fields = ("slug", *DESCRIPTION_FIELDS)  # type: ignore[assignment]
        read_only_fields = ()  # type: ignore[assignment]


class StaffChangeCreateSerializer(PortalSerializer):
    kind = serializers.ChoiceField(choices=SubprocessorChange.Kind.choices)
    subprocessor = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Subprocessor.objects.all(),
        required=False,
        allow_null=True,
        help_text="Slug of the sub-processor concerned: a proposed row for an addition or replacement (or leave it "
        "out and send `new_subprocessor`), an active row for a removal or modification.",
    )
    new_subprocessor = NewSubprocessorSerializer(
        required=False, help_text="For an addition or replacement: the new sub-processor, created as proposed."
    )
    replaces = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Subprocessor.objects.all(),
        required=False,
        allow_null=True,
        help_text="For a replacement only: slug of the active sub-processor it replaces.",
    )
    modification = TextField(required=False, allow_blank=True, help_text="For a modification: what changes.")
    reason = TextField(help_text="Why; shown to customers in the notice and on the public page.")
    effective_date = serializers.DateField(
        validators=[plausible_date],
        help_text="Additions and replacements: at least 10 business days after the announcement.",
    )

    def validate(self, attrs):
        kind, existing, new = attrs["kind"], attrs.get("subprocessor"), attrs.get("new_subprocessor")
        if kind in NEEDS_EXISTING:
            if new is not None:
                raise serializers.ValidationError({"new_subprocessor": [NEW_ONLY_FOR_ADDITIONS]})
            if existing is None:
                raise serializers.ValidationError({"subprocessor": [SUBPROCESSOR_REQUIRED]})
        elif existing is not None and new is not None:
            raise serializers.ValidationError({"new_subprocessor": [EITHER_EXISTING_OR_NEW]})
        elif existing is None and new is None:
            raise serializers.ValidationError({"subprocessor": [NAME_OR_DESCRIBE]})
        return attrs


class StaffChangeUpdateSerializer(PortalSerializer):
    """What can still change in a draft: the wording customers will see and the planned date."""

    modification = TextField(required=False, allow_blank=True)
    reason = TextField(required=False, allow_blank=True)
    effective_date = serializers.DateField(required=False, validators=[plausible_date])


class ChangeAnnounceSerializer(PortalSerializer):
    effective_date = serializers.DateField(
        required=False,
        validators=[plausible_date],
        help_text="Defaults to the draft's date; at least 10 business days ahead for an addition.",
    )


class ChangeWithdrawSerializer(PortalSerializer):
    reason = TextField(allow_blank=True, help_text="Sent to everyone notified.")


CREATE_EXAMPLES = [
    OpenApiExample(
        "An addition with its new sub-processor",
        value={
            "kind": "add",
            "new_subprocessor": {
                "name": "Nordlicht AI",
                "legal_entity": "Nordlicht AI GmbH",
                "category": "ai_provider",
                "purpose": "AI model processing",
                "processes_customer_data": True,
                "hq_country": "DE",
                "processing_region": "EU",
                "eea_only": True,
            },
            "reason": "EU-hosted models for customers who need them.",
            "effective_date": "2027-01-18",
        },
        request_only=True,
    ),
    OpenApiExample(
        "A replacement",
        value={
            "kind": "replace",
            "subprocessor": "nordlicht-ai",
            "replaces": "old-host",
            "reason": "Lower latency in the EU.",
            "effective_date": "2027-01-18",
        },
        request_only=True,
    ),
    OpenApiExample(
        "A removal",
        value={
            "kind": "remove",
            "subprocessor": "old-host",
            "reason": "No longer used.",
            "effective_date": "2027-01-04",
        },
        request_only=True,
    ),
]


def _detail(public_id) -> dict:
    return dict(StaffChangeDetailSerializer(change_for_staff(public_id)).data)


class StaffChangeList(StaffGenericAPIView):
    serializer_class = StaffChangeSerializer
    pagination_class = Pagination
    parser_classes = [JSONParser]
    staff_permissions = {"GET": VIEW, "POST": ADD}

    @extend_schema(
        parameters=[StaffChangeQuerySerializer],
        responses=StaffChangeSerializer(many=True),
        summary="Every sub-processor change (drafts included)",
    )
    def get(self, request):
        """Every change in any status, newest first, as the staff list page shows it. Filters as on that page:
        `q` (sub-processor name contains), `status`, `kind`."""
        query = StaffChangeQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filterset = ChangeFilter(query.validated_data, queryset=staff_changes())
        page = self.paginate_queryset(filterset.qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=StaffChangeCreateSerializer,
        responses={201: StaffChangeDetailSerializer},
        examples=CREATE_EXAMPLES,
        summary="Draft a change",
    )
    @idempotent
    def post(self, request):
        """Save a change as a draft, as the staff page "Schedule a change" does. Nobody is told until it is
        announced (`announce/`). An addition or a replacement names a proposed sub-processor, or brings a new one
        in `new_subprocessor` (created as proposed in the same step; its slug is made from the name when left out);
        a removal or modification names an active one. One open change per sub-processor."""
        body = StaffChangeCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        new = data.pop("new_subprocessor", None)
        if new is not None:
            data.pop("subprocessor", None)
            new = dict(new)
            new.setdefault("slug", subprocessor_slug_for(new.get("name", "")))
            change = change_create_with_subprocessor(subprocessor_data=new, actor=request.user, request=request, **data)
        else:
            change = change_create(actor=request.user, request=request, **data)
        return Response(_detail(change.public_id), status=status.HTTP_201_CREATED)


@extend_schema(parameters=[PUBLIC_ID_PARAMETER])
class StaffChangeDetail(StaffGenericAPIView):
    serializer_class = StaffChangeDetailSerializer
    parser_classes = [JSONParser]
    staff_permissions = {"GET": VIEW, "PATCH": ADD, "DELETE": ADD}
    http_method_names = ["get", "patch", "delete", "head", "options"]

    @extend_schema(responses=StaffChangeDetailSerializer, summary="One change")
    def get(self, request, public_id):
        """One change in any status, with its notice counts once announced."""
        return Response(_detail(public_id))

    @extend_schema(
        request=StaffChangeUpdateSerializer,
        responses=StaffChangeDetailSerializer,
        examples=[OpenApiExample("Move the date", value={"effective_date": "2027-02-01"})],
        summary="Edit a draft",
    )
    def patch(self, request, public_id):
        """Edit a draft's `reason`, `modification` or `effective_date` (fields left out stay as they are), as the
        staff edit page does. Once announced a change can only be postponed or withdrawn: 400."""
        change = change_for_staff(public_id)
        body = StaffChangeUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fields = {
            "reason": change.reason,
            "modification": change.modification,
            "effective_date": change.effective_date,
            **body.validated_data,
        }
        change_update(change=change, actor=request.user, request=request, **fields)
        return Response(_detail(public_id))

    @extend_schema(responses={204: None}, summary="Delete a draft")
    def delete(self, request, public_id):
        """Delete a draft nobody was told about (an announced change answers 400). A proposed sub-processor
        created with it stays, for a later change."""
        change_delete(change=change_for_staff(public_id), actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(parameters=[PUBLIC_ID_PARAMETER])
class StaffChangeAnnounce(StaffGenericAPIView):
    serializer_class = StaffChangeDetailSerializer
    parser_classes = [JSONParser]
    staff_permissions = {"POST": ANNOUNCE}

    @extend_schema(
        request=ChangeAnnounceSerializer,
        responses=StaffChangeDetailSerializer,
        examples=[
            OpenApiExample("On the draft's date", value={}),
            OpenApiExample("On another date", value={"effective_date": "2027-01-18"}),
        ],
        summary="Announce a draft",
    )
    @idempotent
    def post(self, request, public_id):
        """Announce a draft, as the change page's Announce button does: every customer's privacy contact, every
        confirmed subscriber and registered webhook is notified (after this answer, by a worker; the proof of
        notice fills in as they go). An addition or replacement needs its effective date at least 10 business days
        ahead: an earlier one answers 400 with the earliest allowed date (`earliest_effective_date`) and nothing
        changes. Send an `Idempotency-Key` so that a retry never announces twice."""
        change = change_for_staff(public_id)
        body = ChangeAnnounceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        change_announce(
            change=change,
            effective_date=body.validated_data.get("effective_date"),
            actor=request.user,
            request=request,
        )
        return Response(_detail(public_id))


@extend_schema(parameters=[PUBLIC_ID_PARAMETER])
class StaffChangeWithdraw(StaffGenericAPIView):
    serializer_class = StaffChangeDetailSerializer
    parser_classes = [JSONParser]
    staff_permissions = {"POST": ANNOUNCE}

    @extend_schema(
        request=ChangeWithdrawSerializer,
        responses=StaffChangeDetailSerializer,
        examples=[OpenApiExample("Withdraw", value={"reason": "We found an EU-hosted alternative."})],
        summary="Withdraw an announced or held change",
    )
    @idempotent
    def post(self, request, public_id):
        """Withdraw an announced or held change, as the change page does; everyone who received the announcement
        or a postponement is told, with `reason`. A draft is deleted instead (DELETE)."""
        change = change_for_staff(public_id)
        body = ChangeWithdrawSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        change_withdraw(change=change, reason=body.validated_data["reason"], actor=request.user, request=request)
        return Response(_detail(public_id))
