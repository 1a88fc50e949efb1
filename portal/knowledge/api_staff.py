"""Staff API of the security FAQ (`/api/v1/staff/faq/…`): what the staff pages (`views_staff.py`) do, through the
same services, permissions and audit events. Entries are addressed by their public id, topics by their slug."""

from django.conf import settings
from django.db.models import Count, Max
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from portal.core.api import Pagination
from portal.core.api_staff import StaffGenericAPIView
from portal.core.idempotency import idempotent
from portal.core.serializers import PortalModelSerializer, PortalSerializer
from portal.knowledge.models import Entry, EntryStatus, Topic, Visibility
from portal.knowledge.selectors import entry_history, staff_entries, topics_listed
from portal.knowledge.services import entry_create, entry_update, topic_create

VIEW = "knowledge.view_entry"
ADD = "knowledge.add_entry"
CHANGE = "knowledge.change_entry"
VIEW_TOPIC = "knowledge.view_topic"
ADD_TOPIC = "knowledge.add_topic"
EDITABLE = ("topic", "question", "answer", "visibility", "status", "order")


def _with_revision(qs):
    return qs.annotate(revision=Max("revisions__number"))


class StaffFaqEntrySerializer(PortalModelSerializer):
    """An entry in any status. `note` (write only) goes into the history with this change."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    topic = serializers.SlugRelatedField(
        slug_field="slug", queryset=Topic.objects.all(), help_text="The topic's slug (GET /api/v1/staff/faq/topics/)."
    )
    note = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=300, help_text="What changed and why."
    )
    revision = serializers.IntegerField(read_only=True, help_text="The number of the latest revision.")
    console_url = serializers.SerializerMethodField(help_text="The staff page of this entry.")
    history_url = serializers.SerializerMethodField(help_text="Every version of this entry (API).")

    class Meta:
        model = Entry
        fields = (
            "id",
            "topic",
            "question",
            "answer",
            "visibility",
            "status",
            "order",
            "note",
            "revision",
            "created_at",
            "updated_at",
            "console_url",
            "history_url",
        )
        read_only_fields = ("created_at", "updated_at")
        extra_kwargs = {
            "status": {"help_text": "draft (staff only) or published (on the FAQ page). New entries are drafts."},
            "visibility": {"help_text": "public, or nda: the answer only for visitors with NDA-level access."},
        }

    def get_console_url(self, entry) -> str:
        return settings.SITE_URL + reverse("knowledge:staff_edit", args=[entry.public_id])

    def get_history_url(self, entry) -> str:
        return settings.SITE_URL + reverse("knowledge:api_staff_entry_history", args=[entry.public_id])


class StaffFaqEntryQuerySerializer(PortalSerializer):
    """The staff list's filters; an invalid value answers 400 with the field's message."""

    q = serializers.CharField(required=False, allow_blank=True, max_length=100, help_text="Question or answer.")
    topic = serializers.SlugField(required=False, allow_blank=True, max_length=80, help_text="A topic's slug.")
    status = serializers.ChoiceField(choices=EntryStatus.choices, required=False)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)


class FaqEntryRevisionSerializer(PortalSerializer):
    number = serializers.IntegerField(source="revision.number")
    topic = serializers.SlugField(source="revision.topic.slug")
    question = serializers.CharField(source="revision.question")
    answer = serializers.CharField(source="revision.answer")
    visibility = serializers.ChoiceField(source="revision.visibility", choices=Visibility.choices)
    status = serializers.ChoiceField(source="revision.status", choices=EntryStatus.choices)
    edited_by = serializers.EmailField(source="revision.edited_by.email", allow_null=True, default=None)
    edited_at = serializers.DateTimeField(source="revision.edited_at")
    note = serializers.CharField(source="revision.note")
    changed = serializers.SerializerMethodField(help_text="Fields that differ from the revision before.")

    def get_changed(self, item) -> list[str]:
        return [change["field"] for change in item["changes"]]


class StaffFaqTopicSerializer(PortalModelSerializer):
    slug = serializers.SlugField(
        max_length=80, required=False, help_text="Its id; made from the name when left out. Must be unique."
    )
    entries = serializers.IntegerField(source="entry_count", read_only=True, help_text="Entries in any status.")

    class Meta:
        model = Topic
        fields = ("slug", "name", "order", "entries", "created_at", "updated_at")
        read_only_fields = ("created_at", "updated_at")


ENTRY_EXAMPLE = OpenApiExample(
    "A public answer, published at once",
    value={
        "topic": "encryption",
        "question": "Is data encrypted at rest?",
        "answer": "Yes. Databases and backups are encrypted with AES-256; keys are managed by our cloud provider.",
        "visibility": "public",
        "status": "published",
        "note": "First version",
    },
    request_only=True,
)


def _entry_payload(validated: dict) -> dict:
    return {name: validated[name] for name in EDITABLE if name in validated}


class StaffEntryList(StaffGenericAPIView):
    serializer_class = StaffFaqEntrySerializer
    pagination_class = Pagination
    staff_permissions = {"GET": VIEW, "POST": ADD}

    @extend_schema(
        parameters=[StaffFaqEntryQuerySerializer],
        responses=StaffFaqEntrySerializer(many=True),
        summary="Every FAQ entry (drafts too)",
    )
    def get(self, request):
        """Every entry whatever its status, in page order (topic, then position), as the staff list shows it.
        Filters as on that page: `q` (question or answer contains), `topic` (slug), `status`, `visibility`."""
        query = StaffFaqEntryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = self.paginate_queryset(_with_revision(staff_entries(filters=query.validated_data)))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=StaffFaqEntrySerializer,
        responses={201: StaffFaqEntrySerializer},
        examples=[ENTRY_EXAMPLE],
        summary="Add a FAQ entry",
    )
    @idempotent
    def post(self, request):
        """Add an entry, as the staff page's "New entry" does: a draft unless `status` is `published`; its first
        revision is saved and the creation recorded in the audit log."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        entry = entry_create(actor=request.user, request=request, note=d.get("note", ""), **_entry_payload(d))
        entry = _with_revision(Entry.objects.select_related("topic")).get(pk=entry.pk)
        return Response(self.get_serializer(entry).data, status=status.HTTP_201_CREATED)


class StaffEntryDetail(StaffGenericAPIView):
    serializer_class = StaffFaqEntrySerializer
    staff_permissions = {"GET": VIEW, "PATCH": CHANGE}
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return get_object_or_404(
            _with_revision(Entry.objects.select_related("topic")), public_id=self.kwargs["public_id"]
        )

    @extend_schema(responses=StaffFaqEntrySerializer, summary="One FAQ entry")
    def get(self, request, public_id):
        """One entry by id, whatever its status."""
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        request=StaffFaqEntrySerializer,
        responses=StaffFaqEntrySerializer,
        examples=[
            OpenApiExample("Publish", value={"status": "published"}, request_only=True),
            OpenApiExample(
                "Correct the answer",
                value={"answer": "Yes, with AES-256 (keys rotated yearly).", "note": "Key rotation added"},
                request_only=True,
            ),
        ],
        summary="Edit, publish or unpublish a FAQ entry",
    )
    def patch(self, request, public_id):
        """Change fields, as the staff edit page does; `status` publishes (`published`) or unpublishes (`draft`)
        it. Each change saves the next revision (with `note`) and records one audit event: published or
        unpublished when the status changed, otherwise edited. A body that changes nothing records nothing."""
        entry = self.get_object()
        serializer = self.get_serializer(entry, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        entry_update(entry=entry, data=_entry_payload(d), note=d.get("note", ""), actor=request.user, request=request)
        return Response(self.get_serializer(self.get_object()).data)


class StaffEntryHistory(StaffGenericAPIView):
    serializer_class = FaqEntryRevisionSerializer
    pagination_class = Pagination
    staff_permissions = {"GET": VIEW}

    @extend_schema(responses=FaqEntryRevisionSerializer(many=True), summary="The history of a FAQ entry")
    def get(self, request, public_id):
        """Every saved version of the entry, newest first: who saved it and when, its note, its full text and which
        fields changed from the version before (the staff history page shows the same)."""
        entry = get_object_or_404(Entry, public_id=public_id)
        page = self.paginate_queryset(entry_history(entry))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class StaffTopicList(StaffGenericAPIView):
    serializer_class = StaffFaqTopicSerializer
    pagination_class = Pagination
    staff_permissions = {"GET": VIEW_TOPIC, "POST": ADD_TOPIC}

    @extend_schema(responses=StaffFaqTopicSerializer(many=True), summary="FAQ topics")
    def get(self, request):
        """Every topic in page order, with how many entries (any status) it holds."""
        page = self.paginate_queryset(topics_listed().annotate(entry_count=Count("entries")))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=StaffFaqTopicSerializer,
        responses={201: StaffFaqTopicSerializer},
        examples=[OpenApiExample("A topic", value={"name": "Incident response", "order": 30}, request_only=True)],
        summary="Add a FAQ topic",
    )
    @idempotent
    def post(self, request):
        """Add a topic, as the staff topics page does; without a `slug`, one is made from the name (400 when
        another topic uses it)."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        topic = topic_create(
            name=d["name"], slug=d.get("slug", ""), order=d.get("order", 0), actor=request.user, request=request
        )
        topic = topics_listed().annotate(entry_count=Count("entries")).get(pk=topic.pk)
        return Response(self.get_serializer(topic).data, status=status.HTTP_201_CREATED)
