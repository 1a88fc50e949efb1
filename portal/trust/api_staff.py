"""Staff API of the trust portal: the access-request queue and its decisions, auto-approval rules and NDA versions.

Each operation calls the service the HTML console calls (portal/trust/views_staff.py) with the same Django
permission, so rules, errors, emails and audit events are the console's. Trust documents: api_staff_documents.py.
"""

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.settings import api_settings

from portal.core.api_staff import StaffAPIView, StaffGenericAPIView
from portal.core.idempotency import idempotent
from portal.core.serializers import PortalModelSerializer, PortalSerializer, TextField
from portal.organisations.models import Organisation
from portal.trust.api import AccessRequestSerializer, ApproveSerializer, DenySerializer
from portal.trust.models import AccessRequest, AutoApprovalRule, GrantLevel, NdaVersion
from portal.trust.selectors import access_queue, current_nda
from portal.trust.services import (
    access_request_approve,
    access_request_deny,
    access_requests_bulk_approve,
    access_revoke,
    auto_rule_create,
    auto_rule_set_active,
    nda_version_publish,
)

VIEW_REQUESTS = "trust.view_accessrequest"
DECIDE_REQUESTS = "trust.decide_accessrequest"
VIEW_RULES = "trust.view_autoapprovalrule"
CHANGE_RULES = "trust.change_autoapprovalrule"
UNKNOWN_ORGANISATION = "Unknown organisation."
# Bodies are JSON: a form body would read a missing boolean as false and an empty choice as "not sent".
JSON_ONLY = [JSONParser]


def console_url(name: str, *args) -> str:
    """The HTML console page that shows the object, absolute (scripts link people to it)."""
    return f"{settings.SITE_URL}{reverse(name, args=args)}"


def validated_query(serializer_class, request) -> dict:
    """A list's filters: 400 with the field's message for a bad value; absent and empty values left out."""
    query = serializer_class(data=request.query_params)
    if not query.is_valid():
        raise ValidationError(query.errors)
    return {k: v for k, v in query.validated_data.items() if v not in (None, "")}


# --- Access requests -----------------------------------------------------------------------------


class StaffAccessRequestSerializer(AccessRequestSerializer):
    """An access request as legal staff see it: the request, the NDA accepted, the decision and its end."""

    organisation_name = serializers.CharField(source="organisation.name", read_only=True, allow_null=True)
    decided_by = serializers.EmailField(source="decided_by.email", read_only=True, allow_null=True)
    auto_rule = serializers.CharField(
        source="auto_rule.domain", read_only=True, allow_null=True, help_text="The rule's domain, if a rule approved."
    )
    console_url = serializers.SerializerMethodField()

    class Meta(AccessRequestSerializer.Meta):
        fields = (  # type: ignore[assignment]
            *AccessRequestSerializer.Meta.fields,
            "organisation_name",
            "decided_by",
            "auto_rule",
            "escalated_at",
            "ended_at",
            "end_reason",
            "console_url",
        )
        read_only_fields = fields  # type: ignore[assignment]

    def get_console_url(self, req) -> str:
        return console_url("trust:staff_detail", req.public_id)


class AccessRequestQuerySerializer(PortalSerializer):
    """Filters of the staff access-request list (the console queue's, plus organisation and level)."""

    status = serializers.ChoiceField(
        choices=[*AccessRequest.Status.choices, ("all", "All")],
        required=False,
        default="all",
        help_text="One status, or all (the default; pending requests come first).",
    )
    q = serializers.CharField(required=False, max_length=200, help_text="Email or company contains.")
    tier = serializers.ChoiceField(choices=Organisation.Tier.choices, required=False, help_text="Organisation tier.")
    overdue = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Only pending requests past their due time."
    )
    organisation = serializers.UUIDField(required=False, help_text="The organisation's id.")
    level = serializers.ChoiceField(choices=GrantLevel.choices, required=False, help_text="Level granted.")


class RevokeSerializer(PortalSerializer):
    """Why access ends now; the requester reads it."""

    reason = TextField(max_length=2000, help_text="Shown to the requester.")


def _access_request(public_id) -> AccessRequest:
    return get_object_or_404(
        AccessRequest.objects.select_related("user", "organisation", "nda_version", "decided_by", "auto_rule"),
        public_id=public_id,
    )


def _decided(req: AccessRequest) -> dict:
    return StaffAccessRequestSerializer(_access_request(req.public_id)).data


@extend_schema(parameters=[AccessRequestQuerySerializer])
class StaffAccessRequestList(StaffGenericAPIView, generics.ListAPIView):
    """Every access request, pending ones first (oldest first, as the console queue), then the decided ones."""

    serializer_class = StaffAccessRequestSerializer
    staff_permissions = {"GET": VIEW_REQUESTS}

    def get_queryset(self):
        return access_queue(filters=self._filters, pending_first=True).select_related("nda_version")

    def list(self, request, *args, **kwargs):
        self._filters = validated_query(AccessRequestQuerySerializer, request)
        return super().list(request, *args, **kwargs)


class StaffAccessRequestDetail(StaffAPIView):
    staff_permissions = {"GET": VIEW_REQUESTS}

    @extend_schema(responses=StaffAccessRequestSerializer)
    def get(self, request, public_id):
        """One access request: the requester, the NDA accepted, the decision and its end."""
        return Response(StaffAccessRequestSerializer(_access_request(public_id)).data)


class StaffAccessRequestApprove(StaffAPIView):
    parser_classes = JSON_ONLY
    staff_permissions = {"POST": DECIDE_REQUESTS}

    @extend_schema(
        request=ApproveSerializer,
        responses=StaffAccessRequestSerializer,
        examples=[
            OpenApiExample(
                "Approve under NDA until a date",
                value={"level": "nda", "expires_on": "2027-06-30", "note": "Annual vendor review."},
                request_only=True,
            )
        ],
    )
    @idempotent
    def post(self, request, public_id):
        """Approve a pending request at a level, until `expires_on` (end of that local day; default: the portal's
        default expiry), with an optional note; the requester is emailed. Nobody decides their own request."""
        req = _access_request(public_id)
        data = ApproveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        access_request_approve(
            access_request=req,
            level=d["level"],
            expires_at=d.get("expires_on"),
            note=d.get("note", ""),
            actor=request.user,
            request=request,
        )
        return Response(_decided(req))


class StaffAccessRequestDeny(StaffAPIView):
    parser_classes = JSON_ONLY
    staff_permissions = {"POST": DECIDE_REQUESTS}

    @extend_schema(
        request=DenySerializer,
        responses=StaffAccessRequestSerializer,
        examples=[OpenApiExample("Deny", value={"reason": "No customer relationship."}, request_only=True)],
    )
    @idempotent
    def post(self, request, public_id):
        """Deny a pending request with a reason the requester sees (they are emailed)."""
        req = _access_request(public_id)
        data = DenySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        access_request_deny(
            access_request=req, reason=data.validated_data["reason"], actor=request.user, request=request
        )
        return Response(_decided(req))


BULK_SELECT_ONE = "Select at least one pending request and a level."
BULK_UNKNOWN = "No access request has this id."
BULK_MAX = 200


class BulkApproveSerializer(PortalSerializer):
    """The console queue's bulk approval: the selected requests and one level for all (default expiry, no note)."""

    ids = serializers.ListField(
        child=serializers.UUIDField(),
        min_length=1,
        max_length=BULK_MAX,
        error_messages={"min_length": BULK_SELECT_ONE, "empty": BULK_SELECT_ONE},
        help_text=f"Ids of pending access requests (1 to {BULK_MAX}).",
    )
    level = serializers.ChoiceField(choices=GrantLevel.choices, help_text="The level granted to each of them.")


class BulkSkippedSerializer(PortalSerializer):
    id = serializers.UUIDField()
    reference = serializers.CharField(allow_null=True, help_text="Null for an id no request has.")
    email = serializers.EmailField(allow_null=True)
    detail = serializers.CharField(help_text="Why it was not approved (the single approval's message).")


class BulkApproveResultSerializer(PortalSerializer):
    approved = StaffAccessRequestSerializer(many=True, help_text="The requests approved, oldest first.")
    skipped = BulkSkippedSerializer(many=True, help_text="The ids not approved, each with the reason.")


class StaffAccessRequestBulkApprove(StaffAPIView):
    parser_classes = JSON_ONLY
    staff_permissions = {"POST": DECIDE_REQUESTS}

    @extend_schema(
        request=BulkApproveSerializer,
        responses=BulkApproveResultSerializer,
        examples=[
            OpenApiExample(
                "Approve three requests at NDA level",
                value={
                    "ids": [
                        "6c1f0a52-1f7e-4f4c-9a43-0d3e8f5b2a11",
                        "8e2b7c34-5d6a-4b1e-8f90-2c4d6e8fa0b3",
                        "0a9d8c7b-6e5f-4a3b-9c2d-1e0f9a8b7c6d",
                    ],
                    "level": "nda",
                },
                request_only=True,
            )
        ],
    )
    @idempotent
    def post(self, request):
        """Approve several pending requests at one level with the default expiry, as the console queue's bulk
        approval: each is approved on its own (emailed and audited as a single approval) and those the rules refuse
        (decided already, your own request) are listed in `skipped` with the reason; the others still go ahead."""
        data = BulkApproveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ids = list(dict.fromkeys(data.validated_data["ids"]))
        approved, skipped = access_requests_bulk_approve(
            ids=ids, level=data.validated_data["level"], actor=request.user, request=request
        )
        rows = AccessRequest.objects.select_related(
            "user", "organisation", "nda_version", "decided_by", "auto_rule"
        ).in_bulk([req.pk for req in approved])
        found = {req.public_id for req in approved} | {req.public_id for req, _ in skipped}
        return Response(
            {
                "approved": StaffAccessRequestSerializer([rows[req.pk] for req in approved], many=True).data,
                "skipped": [
                    {"id": req.public_id, "reference": req.reference, "email": req.user.email, "detail": error}
                    for req, error in skipped
                ]
                + [
                    {"id": public_id, "reference": None, "email": None, "detail": BULK_UNKNOWN}
                    for public_id in ids
                    if public_id not in found
                ],
            }
        )


# The first decision endpoints (before the staff API): same view logic, kept for existing scripts.
DEPRECATED = "Deprecated: use POST /api/v1/staff/access-requests/{id}/%s/ (the same operation)."


@extend_schema_view(post=extend_schema(deprecated=True, description=DEPRECATED % "approve"))
class AccessRequestApprove(StaffAccessRequestApprove):
    parser_classes = api_settings.DEFAULT_PARSER_CLASSES  # type: ignore[assignment]  # as before the staff API


@extend_schema_view(post=extend_schema(deprecated=True, description=DEPRECATED % "deny"))
class AccessRequestDeny(StaffAccessRequestDeny):
    parser_classes = api_settings.DEFAULT_PARSER_CLASSES  # type: ignore[assignment]  # as before the staff API


class StaffAccessRequestRevoke(StaffAPIView):
    parser_classes = JSON_ONLY
    staff_permissions = {"POST": DECIDE_REQUESTS}

    @extend_schema(
        request=RevokeSerializer,
        responses=StaffAccessRequestSerializer,
        examples=[OpenApiExample("Revoke", value={"reason": "Contract ended."}, request_only=True)],
    )
    @idempotent
    def post(self, request, public_id):
        """Revoke approved access with immediate effect, with a reason the requester sees (they are emailed)."""
        req = _access_request(public_id)
        data = RevokeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        access_revoke(access_request=req, reason=data.validated_data["reason"], actor=request.user, request=request)
        return Response(_decided(req))


# --- Auto-approval rules -----------------------------------------------------------------------------


class AutoRuleSerializer(PortalModelSerializer):
    """Requests from exactly this email domain are approved at once, at `level`, while `active`."""

    id = serializers.CharField(source="domain", read_only=True, help_text="The rule's email domain.")
    organisation = serializers.UUIDField(source="organisation.public_id", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    created_by = serializers.EmailField(source="created_by.email", read_only=True, allow_null=True)
    console_url = serializers.SerializerMethodField()

    class Meta:
        model = AutoApprovalRule
        fields = (
            "id",
            "domain",
            "organisation",
            "organisation_name",
            "level",
            "active",
            "created_by",
            "created_at",
            "updated_at",
            "console_url",
        )
        read_only_fields = fields

    def get_console_url(self, rule) -> str:
        return console_url("trust:staff_rules")


class AutoRuleCreateSerializer(PortalSerializer):
    """A new rule for an enterprise organisation's email domain."""

    organisation = serializers.UUIDField(help_text="An enterprise organisation with an email domain.")
    level = serializers.ChoiceField(choices=GrantLevel.choices, default=GrantLevel.APPROVED)


class AutoRuleUpdateSerializer(PortalSerializer):
    """Switch a rule on or off."""

    active = serializers.BooleanField(help_text="false disables the rule (requests go to the queue); true enables.")


class AutoRuleQuerySerializer(PortalSerializer):
    """Filters of the rule list."""

    active = serializers.BooleanField(required=False, allow_null=True, default=None)
    organisation = serializers.UUIDField(required=False, help_text="The organisation's id.")


def _rules():
    return AutoApprovalRule.objects.select_related("organisation", "created_by").order_by("domain", "id")


class StaffAutoRuleList(StaffGenericAPIView, generics.ListAPIView):
    """Auto-approval rules: requests from exactly this email domain (an enterprise organisation's) are approved
    at once, at the rule's level."""

    parser_classes = JSON_ONLY
    serializer_class = AutoRuleSerializer
    staff_permissions = {"GET": VIEW_RULES, "POST": CHANGE_RULES}

    def get_queryset(self):
        qs = _rules()
        if self._filters.get("active") is not None:
            qs = qs.filter(active=self._filters["active"])
        if self._filters.get("organisation"):
            qs = qs.filter(organisation__public_id=self._filters["organisation"])
        return qs

    def list(self, request, *args, **kwargs):
        self._filters = validated_query(AutoRuleQuerySerializer, request)
        return super().list(request, *args, **kwargs)

    @extend_schema(parameters=[AutoRuleQuerySerializer])
    def get(self, request, *args, **kwargs):
        """Auto-approval rules by domain: requests from exactly this email domain (an enterprise organisation's)
        are approved at once, at the rule's level."""
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=AutoRuleCreateSerializer,
        responses={201: AutoRuleSerializer},
        examples=[
            OpenApiExample(
                "Auto-approve an enterprise customer",
                value={"organisation": "3f2c9a4e-8d1b-4c2a-9e57-1b2f3c4d5e6f", "level": "approved"},
                request_only=True,
            )
        ],
    )
    @idempotent
    def post(self, request):
        """Create a rule for an enterprise organisation's email domain (not a free-mail domain; one rule per
        domain)."""
        data = AutoRuleCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organisation = Organisation.objects.filter(public_id=data.validated_data["organisation"]).first()
        if organisation is None:
            raise ValidationError({"organisation": [UNKNOWN_ORGANISATION]})
        rule = auto_rule_create(
            organisation=organisation, level=data.validated_data["level"], actor=request.user, request=request
        )
        return Response(AutoRuleSerializer(_rules().get(pk=rule.pk)).data, status=status.HTTP_201_CREATED)


DOMAIN_PARAMETER = OpenApiParameter(
    "domain",
    str,
    OpenApiParameter.PATH,
    description="The rule's email domain (its id), lower case.",
    pattern=r"^[a-z0-9][a-z0-9.-]{0,252}$",
)


class StaffAutoRuleDetail(StaffAPIView):
    parser_classes = JSON_ONLY
    staff_permissions = {"GET": VIEW_RULES, "PATCH": CHANGE_RULES}

    @extend_schema(parameters=[DOMAIN_PARAMETER], responses=AutoRuleSerializer)
    def get(self, request, domain):
        """One rule, by its domain."""
        return Response(AutoRuleSerializer(get_object_or_404(_rules(), domain=domain)).data)

    @extend_schema(
        parameters=[DOMAIN_PARAMETER],
        request=AutoRuleUpdateSerializer,
        responses=AutoRuleSerializer,
        examples=[OpenApiExample("Disable", value={"active": False}, request_only=True)],
    )
    def patch(self, request, domain):
        """Enable or disable a rule (as the console's switch). Rules are not deleted: approvals keep naming them."""
        rule = get_object_or_404(_rules(), domain=domain)
        data = AutoRuleUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        auto_rule_set_active(rule=rule, active=data.validated_data["active"], actor=request.user, request=request)
        return Response(AutoRuleSerializer(_rules().get(pk=rule.pk)).data)


# --- NDA versions --------------------------------------------------------------------------------


class NdaVersionSerializer(PortalModelSerializer):
    """A published click-through NDA text (texts never change)."""

    id = serializers.CharField(source="version", read_only=True, help_text="The version label.")
    text = serializers.CharField(source="body", read_only=True)
    current = serializers.SerializerMethodField(help_text="The version new access requests accept.")
    console_url = serializers.SerializerMethodField()

    class Meta:
        model = NdaVersion
        fields = ("id", "version", "title", "text", "published_at", "current", "console_url")
        read_only_fields = fields

    def get_current(self, nda) -> bool:
        return nda.pk == self.context.get("current_pk")

    def get_console_url(self, nda) -> str:
        return console_url("trust:staff_nda_versions")


class NdaVersionCreateSerializer(PortalSerializer):
    """A new NDA version, published at once."""

    version = serializers.CharField(max_length=20, help_text="A new label, e.g. 2026-12. Published texts never change.")
    title = serializers.CharField(max_length=200, default="Non-disclosure agreement")
    text = TextField(help_text="The NDA's text.")


class StaffNdaVersionList(StaffGenericAPIView, generics.ListAPIView):
    """The click-through NDA's versions, newest first; `current` marks the one requesters accept."""

    parser_classes = JSON_ONLY
    serializer_class = NdaVersionSerializer
    staff_permissions = {"GET": VIEW_REQUESTS, "POST": DECIDE_REQUESTS}

    def get_queryset(self):
        return NdaVersion.objects.order_by("-published_at", "-id")

    def get_serializer_context(self):
        current = current_nda()
        return {**super().get_serializer_context(), "current_pk": current.pk if current else None}

    @extend_schema(
        request=NdaVersionCreateSerializer,
        responses={201: NdaVersionSerializer},
        examples=[
            OpenApiExample(
                "Publish a new NDA",
                value={"version": "2026-12", "title": "Non-disclosure agreement", "text": "The recipient keeps…"},
                request_only=True,
            )
        ],
    )
    @idempotent
    def post(self, request):
        """Publish a new NDA version at once (there are no drafts): access requests submitted from now on accept it;
        pending ones keep the version they accepted. Labels are unique and texts never change."""
        data = NdaVersionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        nda = nda_version_publish(
            version=d["version"], title=d["title"], body=d["text"], actor=request.user, request=request
        )
        return Response(NdaVersionSerializer(nda, context={"current_pk": nda.pk}).data, status=status.HTTP_201_CREATED)
