"""Staff API for objections: the list, one objection with its consultation thread, a reply to the customer and
the status moves of the HTML console (views_staff.py), through the same services, permissions and audit events."""

from django.conf import settings
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from portal.core.api_staff import StaffAPIView, StaffGenericAPIView, require_perm
from portal.core.idempotency import idempotent
from portal.core.serializers import PortalModelSerializer, PortalSerializer, TextField
from portal.organisations.models import Organisation
from subprocessors.changes.models import SubprocessorChange
from subprocessors.objections.forms import ObjectionStatusForm
from subprocessors.objections.models import Objection, ObjectionMessage
from subprocessors.objections.selectors import staff_objections
from subprocessors.objections.services import (
    OBJECTION_MESSAGE_EMPTY,
    TRANSITIONS,
    objection_message_post,
    objection_set_status,
)

VIEW = "objections.view_objection"
DECIDE = "objections.decide_objection"  # what the console's reply and status forms check
NO_SUCH_CHANGE = "No change has this id."
NO_SUCH_ORGANISATION = "No organisation has this id."
STATUS_FILTERS = [("open", "open (received or in consultation)"), *Objection.Status.choices]
# What the console's status form offers (the service decides which of them the objection may move to now).
TARGET_STATUSES = ObjectionStatusForm.base_fields["status"].choices  # type: ignore[attr-defined]


def console_url(objection: Objection) -> str:
    return settings.SITE_URL + reverse("objections:staff_detail", args=[objection.public_id])


# --- Serializers ------------------------------------------------------------------------------------------
class StaffObjectionChangeSerializer(PortalSerializer):
    id = serializers.UUIDField(source="public_id")
    headline = serializers.CharField()
    status = serializers.CharField(help_text="the change's status (announced, held, effective…)")
    effective_date = serializers.DateField()
    console_url = serializers.SerializerMethodField()

    def get_console_url(self, change) -> str:
        return settings.SITE_URL + reverse("changes:staff_detail", args=[change.public_id])


class StaffObjectionOrganisationSerializer(PortalSerializer):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField()


class StaffObjectionMessageSerializer(PortalModelSerializer):
    author = serializers.EmailField(source="author.email", default=None, allow_null=True)

    class Meta:
        model = ObjectionMessage
        fields = ("from_staff", "author", "body", "created_at")
        read_only_fields = fields


class StaffObjectionSerializer(PortalModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    change = StaffObjectionChangeSerializer(read_only=True)
    organisation = StaffObjectionOrganisationSerializer(read_only=True)
    raised_by = serializers.EmailField(source="raised_by.email", default=None, allow_null=True, read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    is_open = serializers.BooleanField(read_only=True)
    allowed_transitions = serializers.SerializerMethodField(
        help_text="the statuses `transition/` accepts now (empty once the objection is closed)"
    )
    message_count = serializers.SerializerMethodField()
    console_url = serializers.SerializerMethodField(help_text="the objection's page in the staff console")

    class Meta:
        model = Objection
        fields: tuple[str, ...] = (
            "id",
            "change",
            "organisation",
            "raised_by",
            "grounds",
            "status",
            "status_label",
            "is_open",
            "allowed_transitions",
            "outcome_note",
            "closed_at",
            "termination_confirmed_at",
            "message_count",
            "created_at",
            "updated_at",
            "console_url",
        )
        read_only_fields: tuple[str, ...] = fields

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=TARGET_STATUSES)))
    def get_allowed_transitions(self, objection) -> list[str]:
        allowed = TRANSITIONS.get(objection.status, set())
        return [value for value, _ in TARGET_STATUSES if value in allowed]

    def get_message_count(self, objection) -> int:
        count = getattr(objection, "message_count", None)  # annotated by the list's selector
        return count if count is not None else len(objection.messages.all())  # the detail prefetches them

    def get_console_url(self, objection) -> str:
        return console_url(objection)


class StaffObjectionDetailSerializer(StaffObjectionSerializer):
    messages = StaffObjectionMessageSerializer(
        many=True, read_only=True, help_text="the consultation thread, oldest first, as the console shows it"
    )

    class Meta(StaffObjectionSerializer.Meta):
        fields = (*StaffObjectionSerializer.Meta.fields, "messages")
        read_only_fields = fields


class StaffObjectionQuerySerializer(PortalSerializer):
    """The list's filters; an invalid value answers 400 with the field's message."""

    status = serializers.ChoiceField(choices=STATUS_FILTERS, required=False)
    change = serializers.UUIDField(required=False, help_text="id of a sub-processor change")
    organisation = serializers.UUIDField(required=False, help_text="id of a customer organisation")
    page = serializers.IntegerField(required=False, min_value=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=200)

    def validate_change(self, value):
        change = SubprocessorChange.objects.filter(public_id=value).first()
        if change is None:
            raise serializers.ValidationError(NO_SUCH_CHANGE)
        return change

    def validate_organisation(self, value):
        organisation = Organisation.objects.filter(public_id=value).first()
        if organisation is None:
            raise serializers.ValidationError(NO_SUCH_ORGANISATION)
        return organisation


class StaffObjectionReplySerializer(PortalSerializer):
    body = TextField(
        error_messages={"blank": OBJECTION_MESSAGE_EMPTY},
        help_text="the message to the customer (emailed to them; the thread shows it)",
    )


class StaffObjectionTransitionSerializer(PortalSerializer):
    status = serializers.ChoiceField(
        choices=TARGET_STATUSES, help_text="the new status; `allowed_transitions` lists what the objection accepts now"
    )
    note = TextField(required=False, allow_blank=True, default="", help_text="outcome note to the customer")


# --- Views ------------------------------------------------------------------------------------------------
def _objection(public_id) -> Objection:
    return get_object_or_404(
        Objection.objects.select_related("change__subprocessor", "change__replaces", "organisation", "raised_by"),
        public_id=public_id,
    )


def _detail(public_id) -> dict:
    """The objection as it is now (after a reply or a move), with its thread: three queries."""
    objection = get_object_or_404(
        Objection.objects.select_related(
            "change__subprocessor", "change__replaces", "organisation", "raised_by"
        ).prefetch_related(Prefetch("messages", queryset=ObjectionMessage.objects.select_related("author"))),
        public_id=public_id,
    )
    return StaffObjectionDetailSerializer(objection).data


class StaffObjectionList(StaffGenericAPIView):
    staff_permissions = {"GET": VIEW}
    serializer_class = StaffObjectionSerializer

    @extend_schema(
        operation_id="staff_objections_list",
        parameters=[StaffObjectionQuerySerializer],
        responses={200: StaffObjectionSerializer(many=True)},
        summary="Objections (staff)",
    )
    def get(self, request):
        """Every objection to a sub-processor change, newest first, filtered by status (or `open`), change and
        organisation; the thread itself is on each objection's own endpoint."""
        query = StaffObjectionQuerySerializer(data=request.query_params)
        if not query.is_valid():
            raise ValidationError(query.errors)
        filters = {k: v for k, v in query.validated_data.items() if k not in ("page", "page_size")}
        page = self.paginate_queryset(staff_objections(filters=filters))
        return self.get_paginated_response(StaffObjectionSerializer(page, many=True).data)


class StaffObjectionDetail(StaffAPIView):
    staff_permissions = {"GET": VIEW}

    @extend_schema(
        operation_id="staff_objections_retrieve",
        responses={200: StaffObjectionDetailSerializer},
        summary="One objection with its thread (staff)",
    )
    def get(self, request, public_id):
        """One objection with its grounds, outcome and the consultation thread with the customer, oldest message
        first, as its page in the staff console shows them."""
        return Response(_detail(public_id))


class StaffObjectionReply(StaffAPIView):
    staff_permissions = {"POST": DECIDE}

    @extend_schema(
        operation_id="staff_objections_reply",
        request=StaffObjectionReplySerializer,
        responses={201: StaffObjectionDetailSerializer},
        summary="Reply to the customer (staff)",
        examples=[OpenApiExample("Reply", value={"body": "Which processing regions would you accept?"})],
    )
    @idempotent
    def post(self, request, public_id):
        """Write to the objecting customer, as the console's reply form: the message joins the thread, the
        customer (the objection's author and the organisation's privacy contact) is emailed, and a received
        objection moves into consultation. A closed objection's thread is read-only (400). Answers the objection
        with its thread."""
        require_perm(self, request, VIEW)
        objection = _objection(public_id)
        data = StaffObjectionReplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        objection_message_post(
            objection=objection,
            body=data.validated_data["body"],
            actor=request.user,
            from_staff=True,
            request=request,
        )
        return Response(_detail(public_id), status=status.HTTP_201_CREATED)


class StaffObjectionTransition(StaffAPIView):
    staff_permissions = {"POST": DECIDE}

    @extend_schema(
        operation_id="staff_objections_transition",
        request=StaffObjectionTransitionSerializer,
        responses={200: StaffObjectionDetailSerializer},
        summary="Move an objection to another status (staff)",
        examples=[
            OpenApiExample(
                "Accommodated",
                value={"status": "accommodated", "note": "We keep your data in the EU region with the new provider."},
            )
        ],
    )
    @idempotent
    def post(self, request, public_id):
        """Set the objection's status with an optional outcome note, as the console's status form: received →
        in consultation, withdrawn, accommodated or unresolved; in consultation → withdrawn, accommodated or
        unresolved. Any other move answers 400 with the reason; the customer is emailed the new status."""
        require_perm(self, request, VIEW)
        objection = _objection(public_id)
        data = StaffObjectionTransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        objection_set_status(objection=objection, actor=request.user, request=request, **data.validated_data)
        return Response(_detail(public_id))
