"""Staff API of the breach register (`/api/v1/staff/breaches/`): what the console's breach pages do, through the
same services, so the same rules, messages and audit events apply (see dpa/breaches/views_staff.py)."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from dpa.breaches.delivery import breach_notification_resend
from dpa.breaches.filters import BreachFilter
from dpa.breaches.models import (
    BLOCKS,
    DELIVERED_STATES,
    BreachAwarenessChange,
    BreachFollowUp,
    BreachIncident,
    BreachNotification,
)
from dpa.breaches.report import REPORT_PERMISSION, breach_report_prepare
from dpa.breaches.selectors import (
    INCIDENT_SORTS,
    incident_awareness_changes,
    incident_notifications,
    incident_register,
    incident_timeline,
)
from dpa.breaches.services import (
    FOLLOWUP_TARGETS,
    breach_awareness_lock,
    breach_contact_point,
    breach_deadline,
    breach_followup_send,
    breach_incident_create,
    breach_incident_update,
    breach_notification_send,
    breach_notifications_send_all,
    breach_organisations_add,
)
from portal.audit.models import AuditEvent
from portal.core.api_staff import StaffAPIView, StaffGenericAPIView
from portal.core.idempotency import idempotent
from portal.core.serializers import PortalModelSerializer, PortalSerializer, TextField
from portal.core.tables import _ordering
from portal.evidence.views import prepared_file_response
from portal.organisations.models import Organisation
from subprocessors.listing.models import Subprocessor

VIEW = "breaches.view_breachincident"
ADD = "breaches.add_breachincident"
CHANGE = "breaches.change_breachincident"
SEND = "breaches.send_breachnotification"

ID_PARAMETER = OpenApiParameter("public_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The incident's id.")
NOTIFICATION_PARAMETER = OpenApiParameter(
    "notification_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The notification's id."
)
# The nature (i) cannot be marked "will follow" (the console's form has no such box and clears an old mark).
PENDING_FIELDS = tuple(f"{key}_pending" for key, _ in BLOCKS if key != "nature")
BLOCK_FIELDS = tuple(key for key, _ in BLOCKS)
OUTCOMES = ("drafted", "queued", "failed", "delivered_on_time", "delivered_late", "acknowledged")
BLOCK_STATES = ("filled", "pending", "empty")
SORTS = [*INCIDENT_SORTS, *(f"-{key}" for key in INCIDENT_SORTS)]


def _console_url(incident: BreachIncident) -> str:
    return settings.SITE_URL + reverse("breaches:staff_detail", args=[incident.public_id])


def _api_url(name: str, incident: BreachIncident) -> str:
    return settings.SITE_URL + reverse(f"breaches:{name}", args=[incident.public_id])


def _incident(public_id) -> BreachIncident:
    return get_object_or_404(BreachIncident, public_id=public_id)


# --- Responses ---------------------------------------------------------------------------------------------------


class UTCDateTimeField(serializers.DateTimeField):
    """Response times in UTC (`Z`): the same instant whatever the portal's time zone, and valid RFC 3339 even for
    a time before time zones had whole-minute offsets (an awareness time may be recorded that far back)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("default_timezone", dt.UTC)
        super().__init__(**kwargs)


class UTCTimes:
    """Mixed into a model serializer: its model's date-times are answered in UTC."""

    serializer_field_mapping = {
        **PortalModelSerializer.serializer_field_mapping,
        models.DateTimeField: UTCDateTimeField,
    }


VIA_HELP = "How the acknowledgement came: link (the signed link in the email), portal, or empty while none."


class BreachOrganisationRefSerializer(UTCTimes, PortalModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = Organisation
        fields = ("id", "name")
        read_only_fields = fields


class BreachFollowUpSerializer(UTCTimes, PortalModelSerializer):
    class Meta:
        model = BreachFollowUp
        fields = (
            "number",
            "message",
            "status",
            "queued_at",
            "delivered_at",
            "delivered_message_id",
            "failed_at",
            "failure_reason",
        )
        read_only_fields = fields


class BreachNotificationSerializer(UTCTimes, PortalModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    organisation = BreachOrganisationRefSerializer(read_only=True)
    outcome = serializers.ChoiceField(
        choices=OUTCOMES,
        read_only=True,
        help_text="Where the notice stands: only delivery notifies; on time = delivered by the deadline.",
    )
    status_label = serializers.CharField(read_only=True, help_text="The outcome as the console words it.")
    on_time = serializers.BooleanField(read_only=True, allow_null=True, help_text="null while not delivered.")
    followups = BreachFollowUpSerializer(many=True, read_only=True)
    acknowledged_via = serializers.CharField(read_only=True, help_text=VIA_HELP)

    class Meta:
        model = BreachNotification
        fields = (
            "id",
            "organisation",
            "status",
            "outcome",
            "status_label",
            "deadline",
            "recipient_email",
            "recipient_is_fallback",
            "queued_at",
            "delivered_at",
            "delivered_message_id",
            "on_time",
            "failed_at",
            "failure_reason",
            "pending_at_send",
            "acknowledged_at",
            "acknowledged_by",
            "acknowledged_via",
            "followups",
        )
        read_only_fields = fields


class BreachAwarenessChangeSerializer(UTCTimes, PortalModelSerializer):
    changed_at = UTCDateTimeField(source="created_at", read_only=True)
    changed_by = serializers.CharField(source="changed_by_label", read_only=True)

    class Meta:
        model = BreachAwarenessChange
        fields = (
            "before",
            "after",
            "earliest_before",
            "earliest_after",
            "reason",
            "after_notice",
            "changed_at",
            "changed_by",
        )
        read_only_fields = fields


class BreachTimelineEventSerializer(UTCTimes, PortalModelSerializer):
    at = UTCDateTimeField(source="created_at", read_only=True)
    actor = serializers.CharField(source="actor_label", read_only=True)

    class Meta:
        model = AuditEvent
        fields = ("at", "action", "actor", "target_type", "details")
        read_only_fields = fields


class BreachBlockSerializer(PortalSerializer):
    key = serializers.ChoiceField(choices=BLOCK_FIELDS)
    # Declared fields leave the class when DRF builds it; the stubs see it overriding Field.label.
    label = serializers.CharField()  # type: ignore[assignment]
    text = serializers.CharField()
    pending = serializers.BooleanField(help_text="Marked “not yet known — will follow”.")
    state = serializers.ChoiceField(choices=BLOCK_STATES)


class BreachContactPointSerializer(PortalSerializer):
    name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()


class BreachIncidentListSerializer(UTCTimes, PortalModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    notice_count = serializers.IntegerField(read_only=True)
    undelivered_count = serializers.IntegerField(read_only=True)
    failed_count = serializers.IntegerField(read_only=True)
    acknowledged_count = serializers.IntegerField(read_only=True)
    nearest_deadline = UTCDateTimeField(
        read_only=True, allow_null=True, help_text="The nearest deadline of a notification not delivered yet."
    )
    url = serializers.SerializerMethodField()
    console_url = serializers.SerializerMethodField()

    class Meta:
        model = BreachIncident
        fields = (
            "id",
            "title",
            "severity",
            "status",
            "scope",
            "aware_at",
            "earliest_aware_at",
            "notice_count",
            "undelivered_count",
            "failed_count",
            "acknowledged_count",
            "nearest_deadline",
            "created_at",
            "url",
            "console_url",
        )
        read_only_fields = fields

    def get_url(self, incident) -> str:
        return _api_url("api_staff_detail", incident)

    def get_console_url(self, incident) -> str:
        return _console_url(incident)


class BreachIncidentSerializer(UTCTimes, PortalModelSerializer):
    """One incident as its console page shows it. Built by `incident_detail`, which loads everything once."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    subprocessor: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True, help_text="Scope `subprocessor`: its slug."
    )
    deadline = UTCDateTimeField(
        read_only=True, help_text="48 hours after earliest_aware_at: every notification's deadline."
    )
    awareness_lock = serializers.CharField(
        read_only=True,
        help_text="Why the awareness time is fixed (it can then only move earlier, with a reason); empty while not.",
    )
    nearest_deadline = UTCDateTimeField(read_only=True, allow_null=True)
    notice_count = serializers.IntegerField(read_only=True)
    drafted_count = serializers.IntegerField(read_only=True)
    undelivered_count = serializers.IntegerField(read_only=True)
    delivered_count = serializers.IntegerField(read_only=True)
    failed_count = serializers.IntegerField(read_only=True)
    acknowledged_count = serializers.IntegerField(read_only=True)
    followup_target_count = serializers.IntegerField(
        read_only=True, help_text="Notifications a follow-up goes to (queued or delivered)."
    )
    blocks = BreachBlockSerializer(many=True, read_only=True)
    contact_point = BreachContactPointSerializer(read_only=True)
    notifications = BreachNotificationSerializer(many=True, read_only=True)
    awareness_changes = BreachAwarenessChangeSerializer(many=True, read_only=True)
    timeline = BreachTimelineEventSerializer(many=True, read_only=True)
    console_url = serializers.CharField(read_only=True)
    report_url = serializers.CharField(read_only=True)

    class Meta:
        model = BreachIncident
        fields = (
            "id",
            "title",
            "detected_by",
            "description",
            "severity",
            "status",
            "scope",
            "subprocessor",
            "aware_at",
            "earliest_aware_at",
            "deadline",
            "awareness_lock",
            "nearest_deadline",
            *(f for key in BLOCK_FIELDS for f in (key, f"{key}_pending")),
            "blocks",
            "contact_point",
            "notice_count",
            "drafted_count",
            "undelivered_count",
            "delivered_count",
            "failed_count",
            "acknowledged_count",
            "followup_target_count",
            "notifications",
            "awareness_changes",
            "timeline",
            "created_at",
            "updated_at",
            "console_url",
            "report_url",
        )
        read_only_fields = fields


def incident_detail(incident: BreachIncident) -> dict:
    """The detail body: the console page's facts (dpa.breaches.views_staff._detail_context), as data."""
    incident = BreachIncident.objects.select_related("subprocessor").get(pk=incident.pk)
    notifications = list(incident_notifications(incident))
    undelivered = [n for n in notifications if n.status not in DELIVERED_STATES]
    count = {state: sum(n.status == state for n in notifications) for state in BreachNotification.Status.values}
    body = {name: getattr(incident, name) for name in BreachIncidentSerializer.Meta.fields if hasattr(incident, name)}
    return body | {
        "public_id": incident.public_id,
        "subprocessor": incident.subprocessor,
        "deadline": breach_deadline(incident.earliest_aware_at),
        "awareness_lock": breach_awareness_lock(incident, notifications=notifications, now=timezone.now()),
        "nearest_deadline": min((n.deadline for n in undelivered), default=None),
        "notice_count": len(notifications),
        "drafted_count": count[BreachNotification.Status.DRAFTED],
        "undelivered_count": len(undelivered),
        "delivered_count": len(notifications) - len(undelivered),
        "failed_count": count[BreachNotification.Status.FAILED],
        "acknowledged_count": sum(n.acknowledged_at is not None for n in notifications),
        "followup_target_count": sum(n.status in FOLLOWUP_TARGETS for n in notifications),
        "blocks": incident.blocks(),
        "contact_point": breach_contact_point(),
        "notifications": notifications,
        "awareness_changes": list(incident_awareness_changes(incident)),
        "timeline": list(incident_timeline(incident)),
        "console_url": _console_url(incident),
        "report_url": _api_url("api_staff_report", incident),
    }


def _detail_response(incident: BreachIncident, *, status_code: int = status.HTTP_200_OK) -> Response:
    return Response(BreachIncidentSerializer(incident_detail(incident)).data, status=status_code)


# --- Requests ----------------------------------------------------------------------------------------------------


class BreachListQuerySerializer(PortalSerializer):
    state = serializers.ChoiceField(
        choices=["open", "closed", "all"],
        required=False,
        default="open",
        help_text="As the dashboard: open (open or contained; the default), closed, or all.",
    )
    status = serializers.ChoiceField(choices=BreachIncident.Status.choices, required=False, help_text="Exact status.")
    severity = serializers.ChoiceField(choices=BreachIncident.Severity.choices, required=False)
    deadline_within_hours = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=24 * 30,
        help_text="Only incidents with a notification not delivered whose deadline is within this many hours "
        "(overdue ones included).",
    )
    sort = serializers.ChoiceField(
        choices=SORTS,
        required=False,
        default="deadline",
        help_text="As the dashboard's columns; `-` for descending. Default: nearest undelivered deadline first.",
    )


def _relations():
    return {
        "organisations": serializers.SlugRelatedField(
            slug_field="public_id",
            queryset=Organisation.objects.all(),
            many=True,
            required=False,
            help_text="Ids of the affected organisations (scope `selected`).",
        ),
        "subprocessor": serializers.SlugRelatedField(
            slug_field="slug",
            queryset=Subprocessor.objects.exclude(status=Subprocessor.Status.PROPOSED),
            required=False,
            allow_null=True,
            help_text="Slug of the sub-processor whose customers are affected (scope `subprocessor`).",
        ),
    }


AWARE_TOO_EARLY = "Enter an awareness time from 1 January 2000 on."
EARLIEST_AWARENESS = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def _aware_at_checked(value):
    """Nothing this portal records happened before 2000: an older time is a typing mistake (2026 → 0226), and it
    would become the notification obligations' receipt time."""
    if value is not None and value < EARLIEST_AWARENESS:
        raise serializers.ValidationError(AWARE_TOO_EARLY)
    return value


class BreachIncidentCreateSerializer(PortalModelSerializer):
    """The console's new-incident form. The awareness time is ISO 8601; without an offset it is read in the
    portal's time zone, as the form reads it."""

    scope = serializers.ChoiceField(choices=BreachIncident.Scope.choices)
    organisations = _relations()["organisations"]
    subprocessor = _relations()["subprocessor"]

    class Meta:
        model = BreachIncident
        fields = (
            "title",
            "aware_at",
            "detected_by",
            "description",
            "severity",
            *BLOCK_FIELDS,
            *PENDING_FIELDS,
            "scope",
            "organisations",
            "subprocessor",
        )
        extra_kwargs = {"severity": {"required": True}}

    def validate_aware_at(self, value):
        return _aware_at_checked(value)


class BreachIncidentUpdateSerializer(PortalModelSerializer):
    """The console's edit form; every field optional (PATCH)."""

    awareness_reason = TextField(
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="Required when aware_at changes; kept with the incident. Once a notification was sent or the "
        "deadline passed, aware_at can only move earlier.",
    )

    class Meta:
        model = BreachIncident
        fields = (
            "title",
            "aware_at",
            "detected_by",
            "description",
            "severity",
            "status",
            *BLOCK_FIELDS,
            *PENDING_FIELDS,
            "awareness_reason",
        )

    def validate_aware_at(self, value):
        return _aware_at_checked(value)


class BreachSendSerializer(PortalSerializer):
    notification = serializers.UUIDField(
        required=False, help_text="One notification to send; without it, every notification not sent yet."
    )


class BreachSendResultSerializer(PortalSerializer):
    queued = BreachNotificationSerializer(many=True, help_text="The notifications queued by this request.")


class BreachFollowUpCreateSerializer(PortalSerializer):
    message = TextField(help_text="What changed; sent with the current contents of all four blocks.")


class BreachFollowUpQueuedSerializer(UTCTimes, PortalModelSerializer):
    notification = serializers.UUIDField(source="notification.public_id", read_only=True)
    organisation = BreachOrganisationRefSerializer(source="notification.organisation", read_only=True)

    class Meta:
        model = BreachFollowUp
        fields = ("notification", "organisation", "number", "message", "status", "queued_at")
        read_only_fields = fields


class BreachFollowUpResultSerializer(PortalSerializer):
    number = serializers.IntegerField(help_text="The update's number (the same for every organisation).")
    queued = BreachFollowUpQueuedSerializer(many=True)


class BreachResendSerializer(PortalSerializer):
    to = serializers.EmailField(
        help_text="The address the notice could not be delivered to, or another contact of the organisation."
    )


class BreachAffectedSerializer(PortalSerializer):
    scope = serializers.ChoiceField(choices=BreachIncident.Scope.choices)
    organisations = _relations()["organisations"]
    subprocessor = _relations()["subprocessor"]


class BreachAffectedResultSerializer(PortalSerializer):
    added = BreachNotificationSerializer(
        many=True, help_text="The notifications drafted for newly added organisations."
    )


class BreachReportStatusSerializer(PortalSerializer):
    """While the report is being prepared (202) or after its render failed (503)."""

    status = serializers.CharField()
    kind = serializers.CharField()
    id = serializers.UUIDField()
    status_url = serializers.URLField()
    download_url = serializers.URLField()
    retry_after = serializers.IntegerField(help_text="Seconds to wait before asking again (also in Retry-After).")
    requested_at = UTCDateTimeField()
    detail = serializers.CharField()


CREATE_EXAMPLE = OpenApiExample(
    "Record an incident",
    request_only=True,
    value={
        "title": "Log bucket exposed",
        "aware_at": "2026-06-01T10:00:00+02:00",
        "detected_by": "Bug bounty report",
        "severity": "high",
        "nature": "API request logs of about 1,200 end users were publicly readable.",
        "data": "Email addresses and IP addresses; about 40,000 records.",
        "consequences": "Risk of targeted phishing.",
        "measures": "",
        "measures_pending": True,
        "scope": "selected",
        "organisations": ["3f1c2a9e-5b7d-4c1e-9a0b-2d4e6f8a1b3c"],
    },
)


# --- Views -------------------------------------------------------------------------------------------------------


class BreachListCreate(StaffGenericAPIView):
    """The breach register as the dashboard shows it (by default the incidents not closed, nearest undelivered
    deadline first), and recording a new incident with the console's form fields and rules."""

    parser_classes = [JSONParser]  # a form body reads a missing boolean as false
    staff_permissions = {"GET": VIEW, "POST": ADD}

    @extend_schema(
        parameters=[BreachListQuerySerializer],
        responses=BreachIncidentListSerializer(many=True),
    )
    def get(self, request):
        """The breach register, filtered and sorted as the console's dashboard, with per-incident counts of
        notifications (undelivered, failed, acknowledged) and the nearest deadline of one not yet delivered."""
        query = BreachListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        state = "" if params["state"] == "open" else params["state"]
        filters = QueryDict(mutable=True)
        filters.update({"state": state, "severity": params.get("severity", "")})
        incidents = BreachFilter(filters, queryset=incident_register()).qs
        if params.get("status"):
            incidents = incidents.filter(status=params["status"])
        if params.get("deadline_within_hours"):
            cutoff = timezone.now() + dt.timedelta(hours=params["deadline_within_hours"])
            incidents = incidents.filter(nearest_deadline__lte=cutoff)
        sort = params["sort"]
        incidents = incidents.order_by(
            *_ordering(INCIDENT_SORTS[sort.removeprefix("-")], descending=sort.startswith("-"))
        )
        page = self.paginate_queryset(incidents)
        return self.get_paginated_response(BreachIncidentListSerializer(page, many=True).data)

    @extend_schema(
        request=BreachIncidentCreateSerializer,
        responses={201: BreachIncidentSerializer},
        examples=[CREATE_EXAMPLE],
    )
    @idempotent
    def post(self, request):
        """Record an incident: one drafted notification per affected organisation, each due 48 hours after the
        awareness time (which may not be in the future). Nothing is sent until `send/`; the four required blocks
        may be filled later or marked “will follow” (except the nature (i))."""
        data = BreachIncidentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        incident = breach_incident_create(
            actor=request.user,
            request=request,
            scope=fields.pop("scope"),
            organisations=fields.pop("organisations", []),
            subprocessor=fields.pop("subprocessor", None),
            nature_pending=False,
            **fields,
        )
        return _detail_response(incident, status_code=status.HTTP_201_CREATED)


class BreachDetail(StaffAPIView):
    """One incident with everything its console page shows; PATCH edits it with the console's rules."""

    parser_classes = [JSONParser]  # a form body reads a missing boolean as false
    staff_permissions = {"GET": VIEW, "PATCH": CHANGE}

    @extend_schema(parameters=[ID_PARAMETER], responses=BreachIncidentSerializer)
    def get(self, request, public_id):
        """The incident: facts, the four required blocks, awareness time (as recorded and the earliest ever, from
        which the 48-hour deadline runs) and its corrections, each organisation's notification (queued,
        delivered at with Message-ID, failed with the reason, acknowledged) with its follow-ups, and the timeline."""
        return _detail_response(_incident(public_id))

    @extend_schema(
        parameters=[ID_PARAMETER],
        request=BreachIncidentUpdateSerializer,
        responses=BreachIncidentSerializer,
        examples=[
            OpenApiExample(
                "Correct the awareness time",
                request_only=True,
                value={"aware_at": "2026-06-01T09:40:00+02:00", "awareness_reason": "The pager alert was earlier."},
            )
        ],
    )
    def patch(self, request, public_id):
        """Edit the incident as the console's edit form does. A change of `aware_at` needs `awareness_reason` and
        is recorded as an awareness correction; once a notification was sent or the deadline passed it can only
        move earlier. Deadlines always run from the earliest awareness time ever recorded."""
        incident = _incident(public_id)
        data = BreachIncidentUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        reason = values.pop("awareness_reason", "")
        values["nature_pending"] = False  # as saving the console's form: the nature written is what notices say
        incident = breach_incident_update(
            incident=incident, actor=request.user, data=values, awareness_reason=reason, request=request
        )
        return _detail_response(incident)


class BreachSend(StaffAPIView):
    """The console's send button: queue the notifications not sent yet (or one), each counting once delivered."""

    parser_classes = [JSONParser]  # a form body reads a missing boolean as false
    staff_permissions = {"POST": SEND}

    @extend_schema(
        parameters=[ID_PARAMETER],
        request=BreachSendSerializer,
        responses={200: BreachSendResultSerializer},
        examples=[OpenApiExample("Send every notification", request_only=True, value={})],
    )
    @idempotent
    def post(self, request, public_id):
        """Queue the first notice to every affected organisation not sent yet (all or none), or to the one
        `notification`. Refused while a block is empty, the nature is not described, or nothing is left to
        send. Send an `Idempotency-Key`: a retry then never queues a second set."""
        incident = _incident(public_id)
        data = BreachSendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        notification_id = data.validated_data.get("notification")
        if notification_id:
            notification = get_object_or_404(BreachNotification, public_id=notification_id, incident=incident)
            sent = [breach_notification_send(notification=notification, actor=request.user, request=request)]
        else:
            sent = breach_notifications_send_all(incident=incident, actor=request.user, request=request)
        return Response({"queued": BreachNotificationSerializer(sent, many=True).data})


class BreachFollowUpCreate(StaffAPIView):
    parser_classes = [JSONParser]  # a form body reads a missing boolean as false
    staff_permissions = {"POST": SEND}

    @extend_schema(
        parameters=[ID_PARAMETER],
        request=BreachFollowUpCreateSerializer,
        responses={201: BreachFollowUpResultSerializer},
        examples=[OpenApiExample("An update", request_only=True, value={"message": "Measures agreed with the host."})],
    )
    @idempotent
    def post(self, request, public_id):
        """Queue a numbered update, with the incident's current contents, to every organisation whose notice is
        queued or delivered (the console's follow-up form)."""
        incident = _incident(public_id)
        data = BreachFollowUpCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sent = breach_followup_send(
            incident=incident, message=data.validated_data["message"], actor=request.user, request=request
        )
        body = {"number": sent[0].number, "queued": BreachFollowUpQueuedSerializer(sent, many=True).data}
        return Response(body, status=status.HTTP_201_CREATED)


class BreachResend(StaffAPIView):
    parser_classes = [JSONParser]  # a form body reads a missing boolean as false
    staff_permissions = {"POST": SEND}

    @extend_schema(
        parameters=[ID_PARAMETER, NOTIFICATION_PARAMETER],
        request=BreachResendSerializer,
        responses={200: BreachNotificationSerializer},
        examples=[OpenApiExample("Another address", request_only=True, value={"to": "soc@acme-backup.example"})],
    )
    @idempotent
    def post(self, request, public_id, notification_id):
        """Send a notice whose delivery failed again, as a new email, to the same or another address (the
        console's resend form). Refused for a notice that did not fail."""
        incident = _incident(public_id)
        notification = get_object_or_404(BreachNotification, public_id=notification_id, incident=incident)
        data = BreachResendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        notification = breach_notification_resend(
            notification=notification, to=data.validated_data["to"], actor=request.user, request=request
        )
        notification = incident_notifications(incident).get(pk=notification.pk)
        return Response(BreachNotificationSerializer(notification).data)


class BreachOrganisationsAdd(StaffAPIView):
    parser_classes = [JSONParser]  # a form body reads a missing boolean as false
    staff_permissions = {"POST": CHANGE}

    @extend_schema(
        parameters=[ID_PARAMETER],
        request=BreachAffectedSerializer,
        responses={201: BreachAffectedResultSerializer},
        examples=[
            OpenApiExample(
                "Add an organisation",
                request_only=True,
                value={"scope": "selected", "organisations": ["3f1c2a9e-5b7d-4c1e-9a0b-2d4e6f8a1b3c"]},
            )
        ],
    )
    @idempotent
    def post(self, request, public_id):
        """Add affected organisations to an incident not closed (the console's form): each gets a drafted
        notification with the incident's deadline; organisations already affected are left as they are."""
        incident = _incident(public_id)
        data = BreachAffectedSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = breach_organisations_add(
            incident=incident,
            actor=request.user,
            scope=data.validated_data["scope"],
            organisations=data.validated_data.get("organisations", []),
            subprocessor=data.validated_data.get("subprocessor"),
            request=request,
        )
        created = list(incident_notifications(incident).filter(pk__in=[n.pk for n in created]))
        return Response(
            {"added": BreachNotificationSerializer(created, many=True).data}, status=status.HTTP_201_CREATED
        )


class BreachReport(StaffAPIView):
    staff_permissions = {"GET": REPORT_PERMISSION}

    def perform_content_negotiation(self, request, force=False):
        # The answer is a PDF or a JSON status whatever the client accepts; errors are JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        parameters=[ID_PARAMETER],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The signed evidence report."),
            202: OpenApiResponse(BreachReportStatusSerializer, description="Being prepared: ask again later."),
            503: OpenApiResponse(BreachReportStatusSerializer, description="Failed; retried automatically."),
        },
    )
    def get(self, request, public_id):
        """The incident's evidence report (PDF, signed) as it is now. It is prepared by a worker: the first
        request answers 202 with `Retry-After` and a JSON status; asking again once it is ready gets the PDF
        (the same file the console's report.pdf serves, its download audited). A later change makes a new report."""
        incident = _incident(public_id)
        job = breach_report_prepare(incident=incident, actor=request.user)
        return prepared_file_response(
            request,
            job,
            filename=f"breach-report-{incident.public_id}.pdf",
            back_url=reverse("breaches:staff_detail", args=[incident.public_id]),
            api=True,
        )
