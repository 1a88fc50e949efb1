"""The public JSON API of the sub-processor list. Responses carry an ETag and Last-Modified and answer
conditional requests with 304; anonymous ones are cached whole per list version, query and Accept header by
portal.core.page_cache, which answers the same conditional requests from the cache."""

import hashlib
from typing import Final

from django.db.models import Max
from django.http import Http404, HttpResponse, HttpResponseBase
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from portal.core.api import Pagination
from subprocessors.listing.models import Subprocessor
from subprocessors.listing.selectors import PUBLIC_STATUSES, public_subprocessors
from subprocessors.listing.serializers import SubprocessorQuerySerializer, SubprocessorSerializer


def _last_modified() -> float:
    moment = Subprocessor.objects.filter(status__in=PUBLIC_STATUSES).aggregate(m=Max("updated_at"))["m"]
    return moment.timestamp() if moment else 0.0


def _rendered(build) -> tuple[dict, bytes, str, float]:
    """(data, JSON body, ETag, Last-Modified timestamp). Anonymous answers are cached whole, with their
    validators, by portal.core.page_cache (this app's AppConfig declares both endpoints)."""
    data = build()
    body = JSONRenderer().render(data)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return data, body, etag, _last_modified()


def _respond(request, data, body: bytes, etag: str, last_modified: float) -> HttpResponseBase:
    not_modified = get_conditional_response(request, etag=etag, last_modified=int(last_modified) or None)
    if not_modified is not None:
        response: HttpResponseBase = Response(status=304)
    elif request.accepted_renderer.format == "json":
        # Rendered already for the ETag: hand the bytes out as they are.
        response = HttpResponse(body, content_type="application/json")
    else:
        response = Response(data)
    response["ETag"] = etag
    if last_modified:
        response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = "public, max-age=60"
    patch_vary_headers(response, ["Accept"])
    return response


_HEADER: Final = OpenApiParameter.HEADER
# Conditional requests, as _respond answers them: documented so that clients (and the contract test) can rely
# on the validators being there.
CONDITIONAL_PARAMETERS = [
    OpenApiParameter("If-None-Match", str, _HEADER, description="ETag of an earlier answer: 304 while unchanged."),
    OpenApiParameter("If-Modified-Since", str, _HEADER, description="HTTP date: 304 if nothing changed since."),
    OpenApiParameter("ETag", str, _HEADER, response=[200, 304], required=True, description="Validator of this answer."),
    OpenApiParameter(
        "Last-Modified",
        str,
        _HEADER,
        response=[200, 304],
        description="Latest change of a public row (HTTP date); absent while the list is empty.",
    ),
    OpenApiParameter("Cache-Control", str, _HEADER, response=[200, 304], required=True),
]
NOT_MODIFIED = OpenApiResponse(description="Not modified since the validators sent; no body.")


class _PublicReadMixin(generics.GenericAPIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []  # public data: no session, so no CSRF and nothing per user
    throttle_classes = [AnonRateThrottle]
    serializer_class = SubprocessorSerializer


@extend_schema(
    parameters=[SubprocessorQuerySerializer, *CONDITIONAL_PARAMETERS],
    responses={200: SubprocessorSerializer, 304: NOT_MODIFIED},
    summary="The public sub-processor list",
    description="Active rows by default. Filters combine. Invalid values answer 400 with the field's message.",
)
class SubprocessorListView(_PublicReadMixin, generics.ListAPIView):
    pagination_class = Pagination

    def get_queryset(self):
        return public_subprocessors(filters=self._filters)

    def list(self, request, *args, **kwargs):
        query = SubprocessorQuerySerializer(data=request.query_params)
        if not query.is_valid():
            raise ValidationError(query.errors)
        self._filters = {k: v for k, v in query.validated_data.items() if k not in ("page", "page_size")}

        def build():
            page = self.paginate_queryset(self.get_queryset())
            return dict(self.get_paginated_response(self.get_serializer(page, many=True).data).data)

        return _respond(request, *_rendered(build))


@extend_schema(
    parameters=[
        # What the URL pattern (<slug:slug>) accepts; any other path is not this endpoint.
        OpenApiParameter("slug", str, OpenApiParameter.PATH, pattern=r"^[-a-zA-Z0-9_]+$"),
        *CONDITIONAL_PARAMETERS,
    ],
    responses={200: SubprocessorSerializer, 304: NOT_MODIFIED},
    summary="One sub-processor by slug (active or retired)",
)
class SubprocessorDetailView(_PublicReadMixin, generics.RetrieveAPIView):
    lookup_field = "slug"

    def get_queryset(self):
        return Subprocessor.objects.filter(status__in=PUBLIC_STATUSES)

    def retrieve(self, request, *args, **kwargs):
        slug = kwargs["slug"]

        row = self.get_queryset().filter(slug=slug).first()
        if row is None:
            raise Http404
        return _respond(request, *_rendered(lambda: dict(self.get_serializer(row).data)))
