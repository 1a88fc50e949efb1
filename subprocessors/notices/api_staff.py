"""Staff API of a change's notice: postponement, and the proof of notice as JSON and CSV, as the notice pages
(`views.py`) give them, through the same services, selectors and audit events."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from portal.core.api import Pagination
from portal.core.api_staff import StaffGenericAPIView
from portal.core.csv import csv_response
from portal.core.idempotency import idempotent
from portal.core.serializers import PortalSerializer, TextField
from subprocessors.changes import events
from subprocessors.changes.api_staff import (
    PUBLIC_ID_PARAMETER,
    StaffChangeDetailSerializer,
    change_for_staff,
    plausible_date,
)
from subprocessors.changes.filters import NoticeFilter
from subprocessors.changes.models import ChangeRecipient
from subprocessors.changes.notices import change_postpone
from subprocessors.changes.selectors import change_notice_proof
from subprocessors.changes.views import ANNOUNCE, VIEW
from subprocessors.notices.proof import CSV_HEADER, notice_proof_csv_rows, notice_proof_record


class ChangePostponeSerializer(PortalSerializer):
    effective_date = serializers.DateField(
        validators=[plausible_date],
        help_text="The new date: after the current one, and at least 10 business days from today for an addition "
        "or replacement (everyone is notified again).",
    )
    reason = TextField(allow_blank=True, help_text="Sent to everyone in the new notice.")


class NoticeEmailSerializer(PortalSerializer):
    """One notice email to one address: queued, delivered (accepted by the mail server) or failed."""

    state = serializers.CharField(help_text="delivered, queued, sending, failed… ('' when there is no email).")
    queued_at = serializers.DateTimeField(allow_null=True)
    sent_at = serializers.DateTimeField(allow_null=True, help_text="When the mail server accepted it.")
    failed_at = serializers.DateTimeField(allow_null=True)
    message_id = serializers.CharField()
    not_sent_reason = serializers.CharField(source="why")


class NoticeRecipientSerializer(PortalSerializer):
    """One address the change's notices go to (the staff page's proof-of-notice row)."""

    email = serializers.EmailField(source="recipient.email")
    role = serializers.ChoiceField(choices=ChangeRecipient.Role.choices, source="recipient.role")
    organisations = serializers.CharField(source="recipient.organisation_names")
    announcement = NoticeEmailSerializer(source="announce")
    postponement_round = serializers.IntegerField(
        source="recipient.postpone_round", help_text="Which postponement the postponement email announced (0: none)."
    )
    postponement = NoticeEmailSerializer(source="postpone")
    withdrawal = NoticeEmailSerializer(source="withdraw")
    notice_delivered_at = serializers.DateTimeField(
        source="recipient.notice_delivered_at", allow_null=True, help_text="First delivery of any notice of it."
    )
    delivered_in_time = serializers.BooleanField(
        source="on_time", allow_null=True, help_text="Before the notice deadline; null while nothing was delivered."
    )
    added_by = serializers.SerializerMethodField(help_text="The staff member who added an alternate contact.")

    def get_added_by(self, record) -> str | None:
        user = record["recipient"].added_by
        return user.email if user else None


class NoticeQuerySerializer(PortalSerializer):
    """The notice page's filters."""

    q = serializers.CharField(required=False, max_length=254, help_text="Recipient address contains.")
    role = serializers.ChoiceField(choices=ChangeRecipient.Role.choices, required=False)
    delivery = serializers.ChoiceField(choices=NoticeFilter.DELIVERY, required=False, help_text="Announcement state.")


@extend_schema(parameters=[PUBLIC_ID_PARAMETER])
class StaffChangePostpone(StaffGenericAPIView):
    serializer_class = StaffChangeDetailSerializer
    parser_classes = [JSONParser]
    staff_permissions = {"POST": ANNOUNCE}

    @extend_schema(
        request=ChangePostponeSerializer,
        responses=StaffChangeDetailSerializer,
        examples=[
            OpenApiExample(
                "Postpone", value={"effective_date": "2027-02-15", "reason": "Two customers need more time."}
            )
        ],
        summary="Postpone an announced or held change",
    )
    @idempotent
    def post(self, request, public_id):
        """Move an announced or held change to a later date, as the change page does: everyone is notified again
        (customers who joined since included), the objection window runs to the new date, and a hold lifts once
        the new notice is delivered. Too early a date answers 400 with `earliest_effective_date`."""
        change = change_for_staff(public_id)
        body = ChangePostponeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        change_postpone(change=change, actor=request.user, request=request, **body.validated_data)
        return Response(StaffChangeDetailSerializer(change_for_staff(public_id)).data)


@extend_schema(parameters=[PUBLIC_ID_PARAMETER])
class StaffChangeNotice(StaffGenericAPIView):
    serializer_class = NoticeRecipientSerializer
    pagination_class = Pagination
    parser_classes = [JSONParser]
    staff_permissions = {"GET": VIEW}

    @extend_schema(
        parameters=[NoticeQuerySerializer],
        responses=NoticeRecipientSerializer(many=True),
        summary="Proof of notice of a change",
    )
    def get(self, request, public_id):
        """Who the change's notices went to, when, and whether each was delivered (accepted by the mail server)
        or failed and why, with the verdict against the notice deadline: the rows of the staff proof-of-notice
        page, by address. The totals are the change's `notice`. A draft has no recipients."""
        change = change_for_staff(public_id)
        query = NoticeQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filterset = NoticeFilter(query.validated_data, queryset=change_notice_proof(change=change), change=change)
        page = self.paginate_queryset(filterset.qs)
        records = [notice_proof_record(r, change) for r in page]  # type: ignore[union-attr]
        return self.get_paginated_response(NoticeRecipientSerializer(records, many=True).data)


@extend_schema(parameters=[PUBLIC_ID_PARAMETER])
class StaffChangeNoticeCsv(StaffGenericAPIView):
    parser_classes = [JSONParser]
    staff_permissions = {"GET": VIEW}

    @extend_schema(
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="One row per address.")},
        summary="Proof of notice of a change (CSV)",
    )
    def get(self, request, public_id):
        """The proof of notice as the staff page exports it (same columns), every address in one file; the export
        is recorded in the audit log."""
        change = change_for_staff(public_id)
        events.change_notice_exported(change=change, actor=request.user, request=request)
        recipients = change_notice_proof(change=change).iterator(chunk_size=2000)
        rows = notice_proof_csv_rows(change=change, recipients=recipients)
        return csv_response(f"notice-{change.public_id}.csv", CSV_HEADER, rows)
