"""Staff API for the obligation register: list and filter, read, record by hand, complete with evidence, and the
CSV and calendar exports, as the HTML console (views.py) does them: same services, permissions and audit events."""

from django.conf import settings
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from portal.core.api_staff import StaffAPIView, StaffGenericAPIView, require_perm
from portal.core.csv import csv_response
from portal.core.idempotency import idempotent
from portal.core.serializers import PortalModelSerializer, PortalSerializer, TextField
from portal.deadlines import events
from portal.deadlines.exports import CSV_HEADER, obligation_csv_rows
from portal.deadlines.forms import MAX_EVIDENCE_BYTES, STAFF_KINDS, ObligationFilterForm
from portal.deadlines.ics import obligations_ics
from portal.deadlines.models import Obligation, ObligationReminder
from portal.deadlines.obligations import EVIDENCE_REQUIRED, obligation_complete_by_staff, obligation_create
from portal.deadlines.selectors import obligation_register
from portal.organisations.models import Organisation

VIEW = "deadlines.view_obligation"
ADD = "deadlines.add_obligation"
COMPLETE = "deadlines.complete_obligation"
NO_SUCH_ORGANISATION = "No organisation has this id."
EVIDENCE_FILE_TOO_LARGE = "The file is larger than 10 MB."
STATE_FILTERS = [c for c in ObligationFilterForm.base_fields["state"].choices if c[0]]  # type: ignore[attr-defined]


def console_url(obligation: Obligation) -> str:
    return settings.SITE_URL + reverse("deadlines:staff_detail", args=[obligation.public_id])


class _OrganisationIdField(serializers.UUIDField):
    """An organisation by its public id: 400 with a message when no organisation has it."""

    def to_internal_value(self, data):
        organisation = Organisation.objects.filter(public_id=super().to_internal_value(data)).first()
        if organisation is None:
            raise serializers.ValidationError(NO_SUCH_ORGANISATION)
        return organisation


# --- Serializers ------------------------------------------------------------------------------------------
class StaffObligationOrganisationSerializer(PortalSerializer):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField()


class StaffObligationSerializer(PortalModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    organisation = StaffObligationOrganisationSerializer(read_only=True)
    overdue = serializers.SerializerMethodField(help_text="open and past its due time")
    on_time = serializers.SerializerMethodField(help_text="completed by its due time; null while open")
    completed_by = serializers.EmailField(source="completed_by.email", default=None, allow_null=True, read_only=True)
    evidence_file = serializers.SerializerMethodField(help_text="file name of the evidence file, null if none")
    evidence_file_url = serializers.SerializerMethodField(
        help_text="the console's download of the evidence file (a staff session), null if none"
    )
    console_url = serializers.SerializerMethodField(help_text="the obligation's page in the staff console")

    class Meta:
        model = Obligation
        fields: tuple[str, ...] = (
            "id",
            "kind",
            "kind_label",
            "organisation",
            "title",
            "details",
            "source",
            "received_at",
            "due_at",
            "status",
            "overdue",
            "completed_at",
            "completed_by",
            "on_time",
            "evidence",
            "evidence_file",
            "evidence_file_url",
            "created_at",
            "console_url",
        )
        read_only_fields: tuple[str, ...] = fields

    def get_overdue(self, obligation) -> bool:
        return obligation.status == Obligation.Status.OPEN and obligation.due_at < timezone.now()

    def get_on_time(self, obligation) -> bool | None:
        return None if obligation.completed_at is None else obligation.completed_at <= obligation.due_at

    def get_evidence_file(self, obligation) -> str | None:
        return obligation.evidence_file.name.rsplit("/", 1)[-1] if obligation.evidence_file else None

    def get_evidence_file_url(self, obligation) -> str | None:
        if not obligation.evidence_file:
            return None
        return settings.SITE_URL + reverse("deadlines:staff_evidence", args=[obligation.public_id])

    def get_console_url(self, obligation) -> str:
        return console_url(obligation)


class StaffObligationReminderSerializer(PortalModelSerializer):
    sent_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = ObligationReminder
        fields = ("stage", "sent_at")
        read_only_fields = fields


class StaffObligationIncidentSerializer(PortalSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    title = serializers.CharField(read_only=True)
    console_url = serializers.SerializerMethodField()

    def get_console_url(self, incident) -> str:
        return settings.SITE_URL + reverse("breaches:staff_detail", args=[incident.public_id])


class StaffObligationDetailSerializer(StaffObligationSerializer):
    reminders = StaffObligationReminderSerializer(many=True, read_only=True, help_text="reminder stages sent so far")
    breach_incident = serializers.SerializerMethodField(
        help_text="for a breach notification: the incident it notifies (its delivery completes the obligation)"
    )

    class Meta(StaffObligationSerializer.Meta):
        fields = (*StaffObligationSerializer.Meta.fields, "reminders", "breach_incident")
        read_only_fields = fields

    @extend_schema_field(StaffObligationIncidentSerializer(allow_null=True))
    def get_breach_incident(self, obligation) -> dict | None:
        # The breach register links its notification to the obligation (a reverse one-to-one; none if unlinked).
        notification = getattr(obligation, "breach_notification", None)
        return None if notification is None else StaffObligationIncidentSerializer(notification.incident).data


class StaffObligationQuerySerializer(PortalSerializer):
    """The register's filters (the console's, plus a due-time window); an invalid value answers 400."""

    state = serializers.ChoiceField(choices=STATE_FILTERS, required=False)
    kind = serializers.ChoiceField(choices=Obligation.Kind.choices, required=False)
    organisation = _OrganisationIdField(required=False, help_text="id of a customer organisation")
    due_after = serializers.DateTimeField(required=False, help_text="due at or after this time (ISO 8601)")
    due_before = serializers.DateTimeField(required=False, help_text="due before this time (ISO 8601)")
    page = serializers.IntegerField(required=False, min_value=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=200)


class StaffObligationExportQuerySerializer(StaffObligationQuerySerializer):
    page = None  # type: ignore[assignment]
    page_size = None  # type: ignore[assignment]


class StaffObligationCreateSerializer(PortalSerializer):
    kind = serializers.ChoiceField(
        choices=STAFF_KINDS, help_text="breach notifications come from a breach incident, not from here"
    )
    organisation = _OrganisationIdField(help_text="id of the customer organisation")
    received_at = serializers.DateTimeField(
        help_text="when the order or request reached us, or the agreement ended (ISO 8601; without an offset, "
        "the portal's time zone); the due time follows from it"
    )
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    details = TextField(required=False, allow_blank=True, default="")


class StaffObligationCompleteSerializer(PortalSerializer):
    evidence = TextField(
        error_messages={"blank": EVIDENCE_REQUIRED},
        help_text="what was done and how it was confirmed (e.g. the email sent, its date)",
    )
    evidence_file = serializers.FileField(
        required=False, help_text="optional: a PDF, image or email export (max 10 MB; multipart/form-data)"
    )

    def validate_evidence_file(self, upload):
        if upload and upload.size > MAX_EVIDENCE_BYTES:
            raise serializers.ValidationError(EVIDENCE_FILE_TOO_LARGE)
        return upload


def _filters(request, serializer_class) -> dict:
    query = serializer_class(data=request.query_params)
    if not query.is_valid():
        raise ValidationError(query.errors)
    return {k: v for k, v in query.validated_data.items() if k not in ("page", "page_size")}


def _obligation(public_id) -> Obligation:
    return get_object_or_404(Obligation.objects.select_related("organisation", "completed_by"), public_id=public_id)


def _detail(public_id) -> dict:
    """The obligation as the console's page shows it: with its reminders and, for a breach notification, the
    incident."""
    obligation = get_object_or_404(
        Obligation.objects.select_related(
            "organisation", "completed_by", "breach_notification__incident"
        ).prefetch_related(Prefetch("reminders", queryset=ObligationReminder.objects.order_by("created_at"))),
        public_id=public_id,
    )
    return StaffObligationDetailSerializer(obligation).data


# --- Views ------------------------------------------------------------------------------------------------
class StaffObligationList(StaffGenericAPIView):
    staff_permissions = {"GET": VIEW, "POST": ADD}
    serializer_class = StaffObligationSerializer

    @extend_schema(
        operation_id="staff_obligations_list",
        parameters=[StaffObligationQuerySerializer],
        responses={200: StaffObligationSerializer(many=True)},
        summary="The obligation register (staff)",
    )
    def get(self, request):
        """Obligations, soonest due first, filtered as on the console's register: by state (open, overdue, due
        within 2 days, completed), kind and organisation, and by a due-time window (`due_after`, `due_before`)."""
        filters = _filters(request, StaffObligationQuerySerializer)
        page = self.paginate_queryset(obligation_register(filters=filters))
        return self.get_paginated_response(StaffObligationSerializer(page, many=True).data)

    @extend_schema(
        operation_id="staff_obligations_create",
        request=StaffObligationCreateSerializer,
        responses={201: StaffObligationDetailSerializer},
        summary="Record an obligation (staff)",
        examples=[
            OpenApiExample(
                "Disclosure order",
                value={
                    "kind": "disclosure_order",
                    "organisation": "6f1c2a4e-9d1b-4c55-8a0e-2b7f3f1d9e10",
                    "received_at": "2026-04-02T16:30:00+02:00",
                    "title": "Court order from the Amsterdam district court",
                },
            )
        ],
    )
    @idempotent
    def post(self, request):
        """Record an obligation by hand, as the console's form: a disclosure order, a data-subject request
        received directly, or a deletion after termination. The due time follows from the kind and the receipt
        time (business days in the portal's calendar); a receipt time in the future is refused."""
        data = StaffObligationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        obligation = obligation_create(actor=request.user, request=request, **data.validated_data)
        return Response(_detail(obligation.public_id), status=status.HTTP_201_CREATED)


class StaffObligationDetail(StaffAPIView):
    staff_permissions = {"GET": VIEW}

    @extend_schema(
        operation_id="staff_obligations_retrieve",
        responses={200: StaffObligationDetailSerializer},
        summary="One obligation (staff)",
    )
    def get(self, request, public_id):
        """One obligation with its due time, state and, once completed, its evidence."""
        return Response(_detail(public_id))


class StaffObligationComplete(StaffAPIView):
    staff_permissions = {"POST": COMPLETE}
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        operation_id="staff_obligations_complete",
        request={
            "multipart/form-data": StaffObligationCompleteSerializer,
            "application/json": StaffObligationCompleteSerializer,
        },
        responses={200: StaffObligationDetailSerializer},
        summary="Complete an obligation with evidence (staff)",
        examples=[
            OpenApiExample(
                "Evidence note", value={"evidence": "Controller notified by email on 3 June; reply received 4 June."}
            )
        ],
    )
    @idempotent
    def post(self, request, public_id):
        """Mark the obligation completed with a note of the evidence and optionally an evidence file (send
        multipart/form-data for a file), as the console's form. Completing it again, or completing a breach
        notification (its delivery completes it), answers 400."""
        require_perm(self, request, VIEW)
        obligation = _obligation(public_id)
        data = StaffObligationCompleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        obligation_complete_by_staff(
            obligation=obligation,
            evidence=data.validated_data["evidence"],
            evidence_file=data.validated_data.get("evidence_file"),
            actor=request.user,
            request=request,
        )
        return Response(_detail(public_id))


class _JsonOnlyNegotiation(BaseContentNegotiation):
    """Exports answer a file whatever the Accept header says; errors are JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class StaffObligationExportCsv(StaffAPIView):
    staff_permissions = {"GET": VIEW}
    content_negotiation_class = _JsonOnlyNegotiation

    @extend_schema(
        operation_id="staff_obligations_export_csv",
        parameters=[StaffObligationExportQuerySerializer],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="the register as CSV")},
        summary="The obligation register as CSV (staff)",
    )
    def get(self, request):
        """The filtered register as the console's CSV export (UTC times, on-time flag, evidence), recorded in
        the audit log as an export."""
        filters = _filters(request, StaffObligationExportQuerySerializer)
        qs = obligation_register(filters=filters)
        events.obligation_register_exported(actor=request.user, request=request)
        return csv_response("obligations.csv", CSV_HEADER, obligation_csv_rows(qs, now=timezone.now()))


class StaffObligationExportIcs(StaffAPIView):
    staff_permissions = {"GET": VIEW}
    content_negotiation_class = _JsonOnlyNegotiation

    @extend_schema(
        operation_id="staff_obligations_export_ics",
        parameters=[StaffObligationExportQuerySerializer],
        responses={
            (200, "text/calendar"): OpenApiResponse(OpenApiTypes.STR, description="due times as an iCalendar file")
        },
        summary="Obligation due times as a calendar (staff)",
    )
    def get(self, request):
        """The filtered register's due times as an iCalendar file, as the console's calendar export; without
        filters, the open obligations."""
        filters = _filters(request, StaffObligationExportQuerySerializer)
        qs = obligation_register(filters=filters or {"state": "open"})
        body = obligations_ics(qs, site_url=settings.SITE_URL)
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="obligations.ics"'
        return response
