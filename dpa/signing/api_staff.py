"""Staff API of signed DPAs (`/api/v1/staff/dpa-executions/`): what the console's signed-DPA pages do
(dpa/signing/views_staff.py), through the same services, so the same rules, messages and audit events apply.

Countersigning through the API needs the SHA-256 of the agreement the staff member reviewed: a legal record
claims only what happened, and "signed" means the signatory saw exactly that document."""

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from dpa.signing import events
from dpa.signing.agreement import (
    MAX_ATTEMPTS,
    agreement_failed,
    agreement_waiting,
    dpa_execution_agreement_retry,
)
from dpa.signing.evidence import execution_file_label
from dpa.signing.filters import ExecutionFilter
from dpa.signing.models import DpaExecution
from dpa.signing.register import REGISTER_HEADER, dpa_register_prepare, register_csv_rows
from dpa.signing.selectors import EXECUTION_COLUMNS, staff_executions
from dpa.signing.services import countersign_refusal, dpa_execution_countersign, dpa_execution_decline
from portal.core.api_staff import StaffAPIView, StaffGenericAPIView
from portal.core.csv import csv_response
from portal.core.idempotency import idempotent
from portal.core.serializers import PortalModelSerializer, PortalSerializer, TextField
from portal.core.tables import _ordering
from portal.evidence.files import read_verified
from portal.evidence.views import prepared_file_response
from portal.organisations.models import Organisation

VIEW = "signing.view_dpaexecution"
CHANGE = "signing.change_dpaexecution"

ID_PARAMETER = OpenApiParameter(
    "public_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The execution's id."
)
SORTS = [*EXECUTION_COLUMNS, *(f"-{key}" for key in EXECUTION_COLUMNS)]
SHA256_HELP = (
    "The SHA-256 (64 hex characters) of the agreement you reviewed: `agreement_sha256` of "
    "`GET /api/v1/staff/dpa-executions/{id}/`, which is also the SHA-256 of the bytes `document_url` serves (and "
    "its `X-Document-SHA256` header) while the DPA waits for the countersignature."
)
PREPARING_DETAIL = (
    "The agreement for signature is being prepared by a worker. Ask again after retry_after seconds: this URL "
    "answers 202 until the document is ready, then the PDF itself."
)
FAILED_DETAIL = (
    "Preparing the agreement for signature failed {attempts} times ({error}). Retry it with POST retry-agreement/."
)
PREPARING_RETRY_AFTER = 3
FAILED_RETRY_AFTER = 60


def _execution(public_id) -> DpaExecution:
    return get_object_or_404(staff_executions(), public_id=public_id)


def _url(name: str, execution: DpaExecution) -> str:
    return settings.SITE_URL + reverse(f"signing:{name}", args=[execution.public_id])


# --- Responses ---------------------------------------------------------------------------------------------------


class DpaOrganisationRefSerializer(PortalModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = Organisation
        fields = ("id", "name", "tier")
        read_only_fields = fields


class DpaVersionRefSerializer(PortalSerializer):
    label = serializers.CharField()  # type: ignore[assignment]
    title = serializers.CharField()
    effective_date = serializers.DateField()


class DpaSignatorySerializer(PortalSerializer):
    name = serializers.CharField(source="signatory_name")
    title = serializers.CharField(source="signatory_title")
    email = serializers.EmailField(source="signatory_email")


class DpaExecutionListSerializer(PortalModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    organisation = DpaOrganisationRefSerializer(read_only=True)
    version = serializers.CharField(source="version.label", read_only=True, help_text="The DPA version's label.")
    signatory = DpaSignatorySerializer(source="*", read_only=True, help_text="The customer's signatory.")
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    requested_at = serializers.DateTimeField(source="created_at", read_only=True)
    url = serializers.SerializerMethodField()
    console_url = serializers.SerializerMethodField()

    class Meta:
        model = DpaExecution
        fields = (
            "id",
            "organisation",
            "version",
            "signatory",
            "status",
            "status_label",
            "requested_at",
            "customer_signed_at",
            "countersigned_at",
            "executed_at",
            "executed_sha256",
            "url",
            "console_url",
        )
        read_only_fields = fields

    def get_url(self, execution) -> str:
        return _url("api_staff_execution", execution)

    def get_console_url(self, execution) -> str:
        return _url("staff_detail", execution)


class DpaExecutionSerializer(DpaExecutionListSerializer):
    """One execution as its console page shows it."""

    version = DpaVersionRefSerializer(read_only=True)  # type: ignore[assignment]
    requested_by = serializers.EmailField(source="requested_by.email", read_only=True, allow_null=True, default=None)
    countersigned_by = serializers.EmailField(
        source="countersigned_by.email", read_only=True, allow_null=True, default=None
    )
    agreement_sha256 = serializers.CharField(
        read_only=True,
        help_text="SHA-256 of the agreement for signature (the document both parties sign); empty while a worker "
        "prepares it. Send it as `agreement_sha256` to countersign.",
    )
    agreement_ready = serializers.BooleanField(read_only=True)
    agreement_failed = serializers.SerializerMethodField(
        help_text=f"Every render allowed ({MAX_ATTEMPTS}) failed: retry it with `retry-agreement/`."
    )
    document_kind = serializers.SerializerMethodField(
        help_text="What `document_url` serves now: `executed` (the executed, sealed PDF), `for-signature` (the "
        "agreement), or empty while there is none."
    )
    document_sha256 = serializers.SerializerMethodField(
        help_text="SHA-256 of the file `document_url` serves now (executed_sha256 once executed, else "
        "agreement_sha256)."
    )
    declined_side = serializers.CharField(
        read_only=True, help_text="Who declined: `customer`, `processor`, or empty while not declined."
    )
    countersign_refusal = serializers.SerializerMethodField(
        help_text="Why it cannot be countersigned now beyond its status (e.g. no longer enterprise), or empty."
    )
    document_url = serializers.SerializerMethodField()
    retry_agreement_url = serializers.SerializerMethodField()
    countersign_url = serializers.SerializerMethodField()
    decline_url = serializers.SerializerMethodField()

    class Meta(DpaExecutionListSerializer.Meta):
        fields = (  # type: ignore[assignment]
            "id",
            "organisation",
            "version",
            "signatory",
            "status",
            "status_label",
            "requested_by",
            "requested_at",
            "link_expires_at",
            "annex_as_of",
            "annex_sha256",
            "agreement_sha256",
            "agreement_ready",
            "agreement_attempts",
            "agreement_error",
            "agreement_failed",
            "customer_signed_name",
            "customer_signed_at",
            "countersigned_by",
            "countersigner_name",
            "countersigner_title",
            "countersigned_at",
            "declined_side",
            "declined_by_label",
            "declined_at",
            "decline_reason",
            "executed_at",
            "executed_sha256",
            "document_kind",
            "document_sha256",
            "countersign_refusal",
            "updated_at",
            "url",
            "console_url",
            "document_url",
            "countersign_url",
            "decline_url",
            "retry_agreement_url",
        )
        read_only_fields = fields  # type: ignore[assignment]

    def get_agreement_failed(self, execution) -> bool:
        return agreement_failed(execution)

    def get_document_kind(self, execution) -> str:
        if execution.executed_path:
            return "executed"
        return "for-signature" if execution.agreement_path else ""

    def get_document_sha256(self, execution) -> str:
        if execution.executed_path:
            return execution.executed_sha256 or ""
        return execution.agreement_sha256

    def get_countersign_refusal(self, execution) -> str:
        return countersign_refusal(execution) or ""

    def get_document_url(self, execution) -> str:
        return _url("api_staff_execution_document", execution)

    def get_countersign_url(self, execution) -> str:
        return _url("api_staff_execution_countersign", execution)

    def get_decline_url(self, execution) -> str:
        return _url("api_staff_execution_decline", execution)

    def get_retry_agreement_url(self, execution) -> str:
        return _url("api_staff_execution_retry_agreement", execution)


def _detail_response(execution: DpaExecution) -> Response:
    return Response(DpaExecutionSerializer(_execution(execution.public_id)).data)


class DpaDocumentStatusSerializer(PortalSerializer):
    """While the agreement for signature is being prepared (202) or after every render failed (409)."""

    status = serializers.CharField(help_text="`preparing` (202) or `failed` (409).")
    id = serializers.UUIDField(help_text="The execution's id.")
    download_url = serializers.URLField()
    retry_after = serializers.IntegerField(help_text="Seconds to wait before asking again (also in Retry-After).")
    detail = serializers.CharField()


class DpaRegisterStatusSerializer(PortalSerializer):
    """While the register is being prepared (202) or after its render failed (503)."""

    status = serializers.CharField()
    kind = serializers.CharField()
    id = serializers.UUIDField()
    status_url = serializers.URLField()
    download_url = serializers.URLField()
    retry_after = serializers.IntegerField(help_text="Seconds to wait before asking again (also in Retry-After).")
    requested_at = serializers.DateTimeField()
    detail = serializers.CharField()


class DpaAgreementRetryResultSerializer(PortalSerializer):
    detail = serializers.CharField()
    execution = DpaExecutionSerializer()


# --- Requests ----------------------------------------------------------------------------------------------------


class DpaExecutionListQuerySerializer(PortalSerializer):
    q = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Part of the organisation's name."
    )
    status = serializers.ChoiceField(choices=DpaExecution.Status.choices, required=False, allow_blank=True)
    sort = serializers.ChoiceField(
        choices=SORTS,
        required=False,
        default="-requested",
        help_text="As the console's columns; `-` for descending. Default: newest request first.",
    )


class DpaCountersignSerializer(PortalSerializer):
    """The console's countersign form, plus the hash of the document reviewed."""

    agreement_sha256 = serializers.RegexField(
        r"^[0-9a-fA-F]{64}$", error_messages={"invalid": "64 hexadecimal characters."}, help_text=SHA256_HELP
    )
    typed_name = serializers.CharField(max_length=200, help_text="Your full name (first and last name).")
    title = serializers.CharField(max_length=200, help_text="Your title, e.g. General Counsel.")
    confirms_authority = serializers.BooleanField(
        help_text="You confirm that you are authorised to sign this agreement on behalf of the processor."
    )


class DpaDeclineSerializer(PortalSerializer):
    reason = TextField(max_length=2000, help_text="Why (at least 10 characters); the customer is told.")


EMPTY_BODY = OpenApiExample("No body", request_only=True, value={})


# --- Views -------------------------------------------------------------------------------------------------------


class DpaExecutionList(StaffGenericAPIView):
    staff_permissions = {"GET": VIEW}

    @extend_schema(parameters=[DpaExecutionListQuerySerializer], responses=DpaExecutionListSerializer(many=True))
    def get(self, request):
        """DPA execution requests as the console lists them: filtered by part of the organisation's name (`q`)
        and by status, sorted by the console's columns (newest request first by default)."""
        query = DpaExecutionListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        filters = {key: params.get(key, "") for key in ("q", "status")}
        executions = ExecutionFilter(filters, queryset=staff_executions()).qs
        sort = params["sort"]
        executions = executions.order_by(
            *_ordering(EXECUTION_COLUMNS[sort.removeprefix("-")], descending=sort.startswith("-"))
        )
        page = self.paginate_queryset(executions)
        return self.get_paginated_response(DpaExecutionListSerializer(page, many=True).data)


class DpaExecutionDetail(StaffAPIView):
    staff_permissions = {"GET": VIEW}

    @extend_schema(parameters=[ID_PARAMETER], responses=DpaExecutionSerializer)
    def get(self, request, public_id):
        """One execution: the parties (organisation, the customer's signatory, our countersigner), the version,
        status, both signatures' times, the annex and agreement hashes (`agreement_sha256` is what countersigning
        needs), the executed file's hash, and links to the console page, the document and the actions."""
        return Response(DpaExecutionSerializer(_execution(public_id)).data)


class _FileView(StaffAPIView):
    def perform_content_negotiation(self, request, force=False):
        # The answer is a file or a JSON status whatever the client accepts; errors are JSON.
        return super().perform_content_negotiation(request, force=True)


class DpaExecutionDocument(_FileView):
    staff_permissions = {"GET": VIEW}

    @extend_schema(
        parameters=[ID_PARAMETER],
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The executed PDF once executed, else the agreement for signature; its SHA-256 is in "
                "`X-Document-SHA256`.",
            ),
            202: OpenApiResponse(DpaDocumentStatusSerializer, description="Being prepared: ask again later."),
            409: OpenApiResponse(
                DpaDocumentStatusSerializer,
                description="Every render of the agreement failed: nothing to serve until `retry-agreement/`.",
            ),
        },
    )
    def get(self, request, public_id):
        """The execution's document as the console's document.pdf serves it: the executed (sealed) PDF once
        executed, otherwise the agreement for signature, read back and checked against its recorded SHA-256.
        While a worker still prepares the agreement: 202 with `Retry-After` and a JSON status; once every render
        failed, 409 with that status (it waits for `retry-agreement/`, not for time)."""
        execution = _execution(public_id)
        executed = bool(execution.executed_path)
        if not executed and agreement_waiting(execution):
            failed = agreement_failed(execution)
            retry_after = FAILED_RETRY_AFTER if failed else PREPARING_RETRY_AFTER
            detail = (
                FAILED_DETAIL.format(attempts=execution.agreement_attempts, error=execution.agreement_error)
                if failed
                else PREPARING_DETAIL
            )
            body = {
                "status": "failed" if failed else "preparing",
                "id": str(execution.public_id),
                "download_url": request.build_absolute_uri(request.path),
                "retry_after": retry_after,
                "detail": detail,
            }
            response = Response(body, status=status.HTTP_409_CONFLICT if failed else status.HTTP_202_ACCEPTED)
            response["Retry-After"] = str(retry_after)
            response["Cache-Control"] = "no-store"
            return response
        path = execution.executed_path or execution.agreement_path
        if not path:
            raise Http404
        sha256 = execution.executed_sha256 if executed else execution.agreement_sha256
        content = read_verified(
            path=path,
            sha256=sha256,
            what=execution_file_label(execution, executed=executed),
            target=execution,
            organisation=execution.organisation,
            request=request,
        )
        kind = "executed" if executed else "for-signature"
        response = HttpResponse(content, content_type="application/pdf")  # type: ignore[assignment]
        filename = f"dpa-{execution.version.label}-{execution.organisation.public_id}-{kind}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        response["X-Document-SHA256"] = sha256  # type: ignore[assignment]
        return response


class DpaExecutionCountersign(StaffAPIView):
    staff_permissions = {"POST": CHANGE}

    @extend_schema(
        parameters=[ID_PARAMETER],
        request=DpaCountersignSerializer,
        responses={200: DpaExecutionSerializer},
        examples=[
            OpenApiExample(
                "Countersign",
                request_only=True,
                value={
                    "agreement_sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                    "typed_name": "Lena Jansen",
                    "title": "General Counsel",
                    "confirms_authority": True,
                },
            )
        ],
    )
    @idempotent
    def post(self, request, public_id):
        """Countersign a DPA the customer's signatory has signed, as the console's countersign form does: the
        executed PDF (agreement + signature page, sealed) is stored, its SHA-256 recorded and audited, and the
        customer told. `agreement_sha256` must be the SHA-256 of the agreement you reviewed — read it from this
        execution's `agreement_sha256` (or hash the PDF `document_url` serves); if it is not the agreement up for
        countersignature, the answer is a 400 on `agreement_sha256` and nothing is signed. Send an
        `Idempotency-Key`: a retry never countersigns twice."""
        execution = _execution(public_id)
        data = DpaCountersignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        execution = dpa_execution_countersign(
            execution=execution, actor=request.user, request=request, **data.validated_data
        )
        return _detail_response(execution)


class DpaExecutionDecline(StaffAPIView):
    staff_permissions = {"POST": CHANGE}

    @extend_schema(
        parameters=[ID_PARAMETER],
        request=DpaDeclineSerializer,
        responses={200: DpaExecutionSerializer},
        examples=[
            OpenApiExample(
                "Decline", request_only=True, value={"reason": "The signatory is not a registered director."}
            )
        ],
    )
    @idempotent
    def post(self, request, public_id):
        """Decline an open request on the processor's side with a reason (the console's decline form): the
        customer's signatory and the requester are told why."""
        execution = _execution(public_id)
        data = DpaDeclineSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        execution = dpa_execution_decline(
            execution=execution,
            side=DpaExecution.Side.PROCESSOR,
            reason=data.validated_data["reason"],
            actor=request.user,
            request=request,
        )
        return _detail_response(execution)


class DpaExecutionAgreementRetry(StaffAPIView):
    staff_permissions = {"POST": CHANGE}

    @extend_schema(
        parameters=[ID_PARAMETER],
        request=None,
        responses={202: DpaAgreementRetryResultSerializer},
        examples=[EMPTY_BODY],
    )
    @idempotent
    def post(self, request, public_id):
        """Render a failed agreement for signature again now (the console's retry button): its attempts start
        again and a worker renders it. Refused (400) unless a render failed and the request still waits for its
        signatory."""
        execution = _execution(public_id)
        dpa_execution_agreement_retry(execution=execution, actor=request.user, request=request)
        body = {
            "detail": "Trying again: the agreement for signature is being prepared.",
            "execution": DpaExecutionSerializer(_execution(public_id)).data,
        }
        return Response(body, status=status.HTTP_202_ACCEPTED)


class DpaRegisterCsv(_FileView):
    staff_permissions = {"GET": VIEW}

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="`dpa-register.csv`, oldest execution first: " + ", ".join(REGISTER_HEADER) + ".",
            )
        },
    )
    def get(self, request):
        """The signed-DPA register as CSV, the same rows and columns as the console's export (every executed
        DPA, oldest first). The export is recorded in the audit log, as from the console."""
        events.dpa_register_exported(actor=request.user, request=request)
        return csv_response("dpa-register.csv", REGISTER_HEADER, register_csv_rows())


class DpaRegisterPdf(_FileView):
    staff_permissions = {"GET": VIEW}

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The signed register."),
            202: OpenApiResponse(DpaRegisterStatusSerializer, description="Being prepared: ask again later."),
            503: OpenApiResponse(DpaRegisterStatusSerializer, description="Failed; retried automatically."),
        },
    )
    def get(self, request):
        """The signed-DPA register (PDF, signed) as it is now, issued as evidence by a worker: the first request
        answers 202 with `Retry-After` and a JSON status; asking again once it is ready gets the PDF (the same file
        the console's register.pdf serves, its download audited). A new execution makes a new register."""
        job = dpa_register_prepare(actor=request.user)
        issued = job.issued_report.issued_at if job.issued_report is not None else job.created_at
        return prepared_file_response(
            request,
            job,
            filename=f"dpa-register-{issued:%Y%m%d-%H%M%S}.pdf",
            back_url=reverse("signing:staff_list"),
            api=True,
        )
