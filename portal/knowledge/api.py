"""Public API of the security FAQ: the published entries, with NDA-level answers only for callers who may read
them (the same rule as the page)."""

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny

from portal.core.api import Pagination
from portal.core.serializers import PortalSerializer
from portal.knowledge.models import Visibility
from portal.knowledge.selectors import can_read_nda, published_entries


class FaqQuerySerializer(PortalSerializer):
    q = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="Question or readable answer contains."
    )
    topic = serializers.SlugField(required=False, allow_blank=True, max_length=80, help_text="A topic's slug.")


class FaqEntrySerializer(PortalSerializer):
    id = serializers.UUIDField(source="public_id")
    topic = serializers.SlugField(source="topic.slug", help_text="The topic's slug.")
    topic_name = serializers.CharField(source="topic.name")
    question = serializers.CharField()
    answer = serializers.SerializerMethodField(
        help_text="The answer, or null for an NDA-level entry the caller may not read (see `answer_available`)."
    )
    answer_available = serializers.SerializerMethodField(help_text="False for a locked NDA-level answer.")
    visibility = serializers.ChoiceField(choices=Visibility.choices)
    updated_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField(help_text="The entry on the FAQ page.")

    def _readable(self, entry) -> bool:
        return self.context["nda"] or entry.visibility == Visibility.PUBLIC

    def get_answer(self, entry) -> str | None:
        return entry.answer if self._readable(entry) else None

    def get_answer_available(self, entry) -> bool:
        return self._readable(entry)

    def get_url(self, entry) -> str:
        return f"{settings.SITE_URL}{reverse('knowledge:list')}#entry-{entry.public_id}"


class FaqList(GenericAPIView):
    permission_classes = [AllowAny]
    serializer_class = FaqEntrySerializer
    pagination_class = Pagination

    @extend_schema(parameters=[FaqQuerySerializer], responses=FaqEntrySerializer(many=True), summary="Security FAQ")
    def get(self, request):
        """The published security FAQ in page order (topic, then position). Every question is listed; the answer of
        an NDA-level entry is null unless the caller has NDA-level access to the trust portal (approved under
        NDA, or legal staff). Filters: `topic` (slug) and `q` (in the question, and in the answers the caller may
        read)."""
        query = FaqQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        d = query.validated_data
        entries = published_entries(user=request.user, q=d.get("q", ""), topic=d.get("topic", ""))
        page = self.paginate_queryset(entries)
        context = {"request": request, "nda": can_read_nda(request.user)}
        return self.get_paginated_response(FaqEntrySerializer(page, many=True, context=context).data)
