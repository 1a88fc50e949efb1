"""Staff API of the audit log: read and filter it, export it as CSV (the export is itself audited, as in the
console), write a signed checkpoint. Reading is not audited, as the console does not audit it either."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from portal.audit.models import AuditEvent
from portal.audit.selectors import AUDIT_EXPORT_HEADER
from portal.core.api_staff import StaffAPIView, StaffGenericAPIView
from portal.core.csv import csv_response
from portal.core.idempotency import idempotent
from portal.core.serializers import PortalModelSerializer, PortalSerializer
from portal.evidence.checkpoints import CHECKPOINT_NOT_STORED, audit_checkpoint_write
from portal.organisations.models import Organisation
from portal.staff.selectors import audit_events_with_organisation
from portal.staff.services import audit_log_export

AUDIT_ORGANISATION_UNKNOWN = "No organisation has this id."
AUDIT_UNTIL_BEFORE_SINCE = "The end date is before the start date."
MAX_ID = 2**63 - 1  # bigint
CURSOR_INVALID = "This cursor is not valid: use the `next` or `previous` link of an earlier answer as it is."


class AuditQuerySerializer(PortalSerializer):
    """The console's audit log filters; they combine. An invalid value answers 400 with the field's message."""

    action = serializers.CharField(
        required=False, max_length=80, help_text="Action code or its label contains this (case-insensitive)."
    )
    actor = serializers.CharField(required=False, max_length=254, help_text="Actor's email (or label) contains this.")
    target_type = serializers.CharField(
        required=False,
        max_length=80,
        help_text="Object type (a model label, e.g. `changes.SubprocessorChange`) contains this.",
    )
    target_id = serializers.CharField(required=False, max_length=64, help_text="Object id, exactly.")
    organisation = serializers.UUIDField(required=False, help_text="Public id of the organisation concerned.")
    since = serializers.DateField(required=False, help_text="Recorded on or after this day (UTC, YYYY-MM-DD).")
    until = serializers.DateField(required=False, help_text="Recorded on or before this day (UTC, YYYY-MM-DD).")

    def validate_organisation(self, value):
        organisation = Organisation.objects.filter(public_id=value).first()
        if organisation is None:
            raise serializers.ValidationError(AUDIT_ORGANISATION_UNKNOWN)
        return organisation

    def validate(self, attrs):
        if attrs.get("since") and attrs.get("until") and attrs["until"] < attrs["since"]:
            raise serializers.ValidationError({"until": [AUDIT_UNTIL_BEFORE_SINCE]})
        return attrs


def audit_filters(request) -> dict:
    query = AuditQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


class AuditEventSerializer(PortalModelSerializer):
    action_label = serializers.CharField(read_only=True, help_text="What staff read for `action`.")
    actor = serializers.CharField(
        source="actor_label", read_only=True, help_text="Email of the user, or who else acted (`system`, a signatory)."
    )
    target_type = serializers.CharField(read_only=True, help_text="Model label of the object, or empty.")
    target_id = serializers.CharField(read_only=True, help_text="Its id (as recorded), or empty.")
    organisation = serializers.UUIDField(
        source="organisation_public_id",
        read_only=True,
        allow_null=True,
        help_text="Public id of the organisation concerned; null when none (or deleted since).",
    )
    details = serializers.JSONField(read_only=True, help_text="What the event recorded (data, before/after).")

    class Meta:
        model = AuditEvent
        fields = (
            "id",
            "created_at",
            "action",
            "action_label",
            "actor",
            "target_type",
            "target_id",
            "organisation",
            "ip",
            "details",
        )
        read_only_fields = fields


class AuditCursorPagination(CursorPagination):
    """Newest first by id, with opaque `next`/`previous` links and no count: the log is append-only and large, so
    a page costs the same however deep, and rows recorded while a client pages never shift or repeat its pages."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        raw = request.query_params.get(self.page_size_query_param)
        if raw:
            field = serializers.IntegerField(min_value=1, max_value=self.max_page_size)
            try:
                field.run_validation(raw)
            except ValidationError as exc:
                raise ValidationError({self.page_size_query_param: exc.detail}) from exc
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound as exc:
            raise ValidationError({self.cursor_query_param: [CURSOR_INVALID]}) from exc
        # DRF takes the position as it comes; ours is an event id, so anything else would reach the query.
        if cursor is not None and cursor.position is not None:
            position = cursor.position
            if not (position.isdigit() and 0 < int(position) <= MAX_ID):  # type: ignore[attr-defined]
                raise ValidationError({self.cursor_query_param: [CURSOR_INVALID]})
        return cursor

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters


class AuditEventList(StaffGenericAPIView, generics.ListAPIView):
    """The audit log, newest first, with the console's filters. Paged by cursor (`next`/`previous` links, no count)."""

    staff_permissions = {"GET": "audit.view_auditevent"}
    serializer_class = AuditEventSerializer
    pagination_class = AuditCursorPagination

    def get_queryset(self):
        return audit_events_with_organisation(filters=audit_filters(self.request))

    @extend_schema(parameters=[AuditQuerySerializer], responses={200: AuditEventSerializer(many=True)})
    def get(self, request, *args, **kwargs):
        """Events of the audit log, newest first, filtered as on the console's audit page.

        Pages are cursor-based: follow `next` (older events) and `previous` (newer) as they are; `page_size` is 1
        to 200 (default 50). Dates are days in UTC; `organisation` is the organisation's public id."""
        return super().get(request, *args, **kwargs)


class AuditEventDetail(StaffGenericAPIView, generics.RetrieveAPIView):
    staff_permissions = {"GET": "audit.view_auditevent"}
    serializer_class = AuditEventSerializer

    def get_queryset(self):
        return audit_events_with_organisation(filters={})

    @extend_schema(responses={200: AuditEventSerializer})
    def get(self, request, *args, **kwargs):
        """One event of the audit log by its id (its position in the chain)."""
        return super().get(request, *args, **kwargs)


class CSVRenderer(BaseRenderer):
    """Lets a client ask for `Accept: text/csv`; the export answers with its own streamed CSV response."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        raise NotImplementedError("CSV answers are streamed by the view")  # errors are rendered as JSON


class AuditExport(StaffAPIView):
    staff_permissions = {"GET": "audit.export_auditevent"}
    renderer_classes = [JSONRenderer, CSVRenderer]

    def finalize_response(self, request, response, *args, **kwargs):
        # Refusals and filter errors are JSON whatever the client accepted (the CSV renderer renders nothing).
        request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(
        # `Accept: text/csv` (or none) is the documented way to ask; DRF's `?format=` override stays undocumented.
        parameters=[AuditQuerySerializer, OpenApiParameter("format", exclude=True)],
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="`audit-log.csv`, oldest first: " + ", ".join(AUDIT_EXPORT_HEADER) + ".",
                examples=[
                    OpenApiExample(
                        "Audit log CSV",
                        value=",".join(AUDIT_EXPORT_HEADER)
                        + "\r\n1,2026-01-05T09:30:00+00:00,counsel@processor.example,audit.exported,"
                        "Audit log exported,,,,203.0.113.7,\"{'filters': {}}\","
                        "9f2c…\r\n",
                    )
                ],
            )
        },
    )
    def get(self, request):
        """The filtered audit log as CSV, oldest first, with the same columns as the console's export (`sha256` is
        each row's chain HMAC). The export is itself recorded in the audit log (`audit.exported`, with the query
        as sent), as when exported from the console."""
        rows = audit_log_export(filters=audit_filters(request), actor=request.user, request=request)
        return csv_response("audit-log.csv", AUDIT_EXPORT_HEADER, rows)


# --- Checkpoint -------------------------------------------------------------------------------------------


class CheckpointNotStored(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = CHECKPOINT_NOT_STORED
    default_code = "checkpoint_not_stored"


class ServiceUnavailableSerializer(PortalSerializer):
    detail = serializers.CharField(help_text="What could not be done, and why.")


class AuditCheckpointSerializer(PortalSerializer):
    """A signed checkpoint of the audit chain, stored outside the database and emailed to the legal lead."""

    name = serializers.CharField(help_text="The file's name in the checkpoint storage.")
    created_at = serializers.DateTimeField(source="data.created_at")
    row_count = serializers.IntegerField(source="data.row_count", help_text="Events in the log when it was written.")
    head_id = serializers.IntegerField(source="data.head_id", allow_null=True, help_text="The newest event's id.")
    head_hash = serializers.CharField(source="data.head_hash", help_text="The newest event's chain hash.")
    signed = serializers.SerializerMethodField(help_text="A detached CMS signature (`.p7s`) was stored with it.")
    emailed_to = serializers.SerializerMethodField()

    def get_signed(self, checkpoint) -> bool:
        return checkpoint.signature is not None

    def get_emailed_to(self, checkpoint) -> str:
        return settings.PORTAL_LEGAL_LEAD_EMAIL


class AuditCheckpointCreate(StaffAPIView):
    staff_permissions = {"POST": "audit.view_auditevent"}

    @extend_schema(
        request=None,
        responses={
            201: AuditCheckpointSerializer,
            503: OpenApiResponse(ServiceUnavailableSerializer, description=CHECKPOINT_NOT_STORED),
        },
    )
    @idempotent
    def post(self, request):
        """Seal the audit log as it is now, as the console's Write checkpoint button: a signed checkpoint (row count,
        newest event and its hash) stored outside the database and emailed to the legal lead, so deleting the newest
        events no longer goes unnoticed. Recorded in the audit log (`audit.checkpoint_written`, trigger `staff`).
        503 when the checkpoint storage cannot be written (nothing recorded)."""
        try:
            checkpoint = audit_checkpoint_write(trigger="staff", actor=request.user, request=request)
        except OSError as exc:
            raise CheckpointNotStored from exc
        return Response(AuditCheckpointSerializer(checkpoint).data, status=status.HTTP_201_CREATED)
