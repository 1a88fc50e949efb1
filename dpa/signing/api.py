"""DRF endpoints for execution requests and for verifying an executed DPA or an issued report."""

import hashlib
from dataclasses import asdict

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from dpa.signing.forms import upload_pdf_content
from dpa.signing.models import DpaExecution
from dpa.signing.selectors import executed_by_sha256
from dpa.signing.services import ExecutionNotAllowed, dpa_execution_request
from portal.core.errors import ApplicationError
from portal.core.idempotency import idempotent
from portal.core.ratelimit import rate_limited
from portal.core.request_limits import request_limits
from portal.core.serializers import PortalModelSerializer, PortalSerializer
from portal.evidence.selectors import issued_report_by_sha256
from portal.evidence.signatures import verify_pdf
from portal.organisations.models import Membership

VERIFY_UPLOAD_RATE_LIMITED = "Too many file verifications from your network. Please try again in a few minutes."


class ExecutionSerializer(PortalModelSerializer):
    organisation = serializers.UUIDField(source="organisation.public_id", read_only=True)
    version = serializers.CharField(source="version.label", read_only=True)
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = DpaExecution
        fields = (
            "id",
            "organisation",
            "version",
            "status",
            "signatory_name",
            "signatory_title",
            "signatory_email",
            "link_expires_at",
            "customer_signed_at",
            "countersigned_at",
            "executed_at",
            "executed_sha256",
            "decline_reason",
        )
        read_only_fields = fields


class ExecutionRequestSerializer(PortalSerializer):
    organisation = serializers.UUIDField(help_text="The organisation's public id.")
    signatory_name = serializers.CharField(max_length=200)
    signatory_title = serializers.CharField(max_length=200)
    signatory_email = serializers.EmailField()


class ExecutionListCreate(generics.ListCreateAPIView):
    """The signed-in user's organisations' DPA executions; POST (organisation admin, enterprise plan) requests
    execution of the current version. Self-serve organisations and non-admins get 403 with the reason."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = ExecutionSerializer

    def get_queryset(self):
        user = self.request.user
        assert user.is_authenticated  # IsAuthenticated above
        return (
            DpaExecution.objects.filter(organisation__memberships__user=user)
            .select_related("organisation", "version")
            .order_by("-created_at", "-id")
        )

    @extend_schema(request=ExecutionRequestSerializer, responses={201: ExecutionSerializer})
    @idempotent
    def post(self, request, *args, **kwargs):
        data = ExecutionRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        membership = (
            Membership.objects.select_related("organisation")
            .filter(user=request.user, organisation__public_id=values.pop("organisation"))
            .first()
        )
        if membership is None:
            return Response({"organisation": ["No such organisation."]}, status=status.HTTP_400_BAD_REQUEST)
        try:
            execution, _token = dpa_execution_request(
                membership=membership, actor=request.user, request=request, **values
            )
        except ExecutionNotAllowed as exc:
            return Response({"detail": exc.message}, status=status.HTTP_403_FORBIDDEN)
        except ApplicationError:
            raise
        return Response(ExecutionSerializer(execution).data, status=status.HTTP_201_CREATED)


class VerifySerializer(PortalSerializer):
    """Either the file (its hash is looked up and its signatures checked) or a SHA-256 alone."""

    file = serializers.FileField(
        required=False,
        help_text="A PDF issued by this portal (multipart/form-data). Checked, never stored.",
    )
    sha256 = serializers.RegexField(
        r"^[0-9a-fA-F]{64}$",
        required=False,
        error_messages={"invalid": "64 hexadecimal characters."},
        help_text="The SHA-256 of an executed DPA (when no file is sent).",
    )

    def validate_file(self, upload):
        try:
            self.pdf_content = upload_pdf_content(upload)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return upload

    def validate(self, attrs):
        if not attrs.get("file") and not attrs.get("sha256"):
            raise serializers.ValidationError("Send the PDF as `file` or its SHA-256 as `sha256`.")
        if attrs.get("file") and attrs.get("sha256"):
            raise serializers.ValidationError("Send a file or a hash, not both.")
        return attrs

    def fingerprint(self) -> str:
        if self.validated_data.get("file"):
            return hashlib.sha256(self.pdf_content).hexdigest()
        return self.validated_data["sha256"].lower()


class VerifyHashRequestSerializer(PortalSerializer):
    """Schema of a JSON request: the SHA-256 of an executed DPA."""

    sha256 = serializers.RegexField(r"^[0-9a-fA-F]{64}$", error_messages={"invalid": "64 hexadecimal characters."})


class VerifyUploadRequestSerializer(PortalSerializer):
    """Schema of a multipart request: the PDF itself (hash looked up, signatures checked)."""

    file = serializers.FileField(help_text="A PDF issued by this portal. Checked, never stored.")


class SignatureFactsSerializer(PortalSerializer):
    # Declared fields leave the class when DRF builds it; the stubs see it overriding Field.field_name.
    field_name = serializers.CharField()  # type: ignore[assignment]
    intact = serializers.BooleanField(help_text="The signed bytes are unchanged and the signature value is correct.")
    valid = serializers.BooleanField(help_text="The cryptographic signature is correct.")
    trusted = serializers.BooleanField(help_text="The certificate chains to our trust anchors.")
    ours = serializers.BooleanField(help_text="Signed with our signing certificate.")
    demo_certificate = serializers.BooleanField(help_text="A DEMO ONLY certificate: no evidence outside a demo.")
    signer_organisation = serializers.CharField(help_text="Subject O of the signing certificate.")
    signer_name = serializers.CharField(help_text="Subject CN of the signing certificate.")
    reason = serializers.CharField()
    signed_at = serializers.DateTimeField(allow_null=True, help_text="Signing time as stated by the signer.")
    timestamp_at = serializers.DateTimeField(allow_null=True, help_text="RFC 3161 timestamp time, if any.")
    timestamp_trusted = serializers.BooleanField()
    timestamp_authority = serializers.CharField()
    coverage = serializers.ChoiceField(
        choices=["entire_file", "entire_revision", "contiguous_block_from_start", "unclear"]
    )
    modified_after_signing = serializers.BooleanField()
    modification = serializers.ChoiceField(
        choices=["none", "validation_info_only", "form_filling", "annotations", "other", "unknown"]
    )
    certification = serializers.ChoiceField(
        choices=["", "no_changes", "form_filling", "annotations"],
        help_text="DocMDP level of a certification signature; empty for an approval signature.",
    )
    summary = serializers.CharField()


class SignatureCheckSerializer(PortalSerializer):
    verdict = serializers.ChoiceField(choices=["signed_by_us", "altered", "not_ours", "unsigned"])
    summary = serializers.CharField(help_text="What the signatures prove, in plain words.")
    demo_certificate = serializers.BooleanField()
    signatures = SignatureFactsSerializer(many=True)


class IssuedReportFactsSerializer(PortalSerializer):
    kind = serializers.CharField(help_text="notice_proof, dpa_register or breach_report")
    description = serializers.CharField(help_text="What the file is, in plain words.")
    issued_at = serializers.DateTimeField()


class VerifyResultSerializer(PortalSerializer):
    valid = serializers.BooleanField(help_text="The SHA-256 is that of a DPA executed through this portal.")
    sha256 = serializers.CharField(required=False, help_text="The uploaded file's SHA-256 (only when a file was sent).")
    organisation = serializers.CharField(required=False)
    version = serializers.CharField(required=False)
    effective_date = serializers.DateField(required=False)
    customer_signed_at = serializers.DateTimeField(required=False)
    countersigned_at = serializers.DateTimeField(required=False)
    executed_at = serializers.DateTimeField(required=False)
    signature_check = SignatureCheckSerializer(
        required=False, help_text="The uploaded file's digital signatures (only when a file was sent)."
    )
    issued_report = IssuedReportFactsSerializer(
        required=False, help_text="When the SHA-256 is that of an evidence report this portal issued."
    )


def _signature_check(content: bytes) -> dict:
    check = verify_pdf(content)
    return {
        "verdict": check.verdict,
        "summary": check.summary,
        "demo_certificate": check.demo_certificate,
        "signatures": [asdict(s) for s in check.signatures],
    }


def _execution_facts(execution) -> dict:
    if execution is None:
        return {"valid": False}
    return {
        "valid": True,
        "organisation": execution.organisation.name,
        "version": execution.version.label,
        "effective_date": execution.version.effective_date,
        "customer_signed_at": execution.customer_signed_at,
        "countersigned_at": execution.countersigned_at,
        "executed_at": execution.executed_at,
    }


# A body larger than a PDF to verify is refused (413) before DRF throttles or parses it.
@request_limits(max_body="DPA_VERIFY_MAX_BYTES")
class Verify(generics.GenericAPIView):
    """Is this an executed DPA of this portal, and what do the file's signatures prove? Send the PDF (`file`,
    multipart) or its `sha256`. Unknown hashes reveal nothing but `valid: false`; a file's signature check
    states only facts found in the file itself."""

    permission_classes = [permissions.AllowAny]
    throttle_classes = [AnonRateThrottle, UserRateThrottle]
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    serializer_class = VerifySerializer

    @extend_schema(
        request={
            "application/json": VerifyHashRequestSerializer,
            "multipart/form-data": VerifyUploadRequestSerializer,
        },
        responses={200: VerifyResultSerializer},
    )
    def post(self, request):
        data = VerifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        uploaded = bool(data.validated_data.get("file"))
        # Checking signatures costs far more than a hash lookup: files count against the verify page's rate.
        if uploaded and rate_limited(request, scope="dpa.verify.api", rate=settings.DPA_VERIFY_RATE):
            return Response({"detail": VERIFY_UPLOAD_RATE_LIMITED}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        fingerprint = data.fingerprint()
        body = _execution_facts(executed_by_sha256(fingerprint))
        if not body["valid"] and (issued := issued_report_by_sha256(fingerprint)):
            body["issued_report"] = {
                "kind": issued.kind,
                "description": issued.description,
                "issued_at": issued.issued_at,
            }
        if uploaded:
            body |= {"sha256": fingerprint, "signature_check": _signature_check(data.pdf_content)}
        return Response(body)
