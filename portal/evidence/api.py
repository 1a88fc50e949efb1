"""Staff API of prepared files (PDFs rendered by a worker): retry a failed render now, as the console's Retry
button on the "preparing the file failed" page does (the same service and the same rule: legal staff holding the
permission the file names, if it names one)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from portal.core.api_staff import StaffAPIView, require_perm
from portal.core.idempotency import idempotent
from portal.core.serializers import PortalModelSerializer
from portal.evidence.models import PreparedFile
from portal.evidence.prepared import prepared_file_retry


class PreparedFileSerializer(PortalModelSerializer):
    """A prepared file's state; the file itself is fetched from the download URL that asked for it."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    label = serializers.CharField(read_only=True, help_text="What the file is, for people.")  # type: ignore[assignment]
    requested_by = serializers.CharField(
        source="requested_by_label", read_only=True, help_text="Who asked for it last (a retry makes it you)."
    )
    error = serializers.CharField(read_only=True, help_text="Why the last render failed, or empty.")

    class Meta:
        model = PreparedFile
        fields = ("id", "kind", "label", "status", "attempts", "error", "requested_by", "created_at")
        read_only_fields = fields


class PreparedFileRetry(StaffAPIView):
    @extend_schema(request=None, responses={200: PreparedFileSerializer})
    @idempotent
    def post(self, request, public_id):
        """Render a failed file again now instead of waiting for the automatic retry; you become who asked for it
        (an evidence report names you). Only failed files can be retried (400 with the service's message). A file
        that names a permission (a breach report: `breaches.view_breachincident`) needs it (403 otherwise)."""
        job = get_object_or_404(PreparedFile, public_id=public_id)
        if job.permission:  # as `may_retry` for the console (legal staff after MFA: StaffPermission)
            require_perm(self, request, job.permission)
        job = prepared_file_retry(job=job, actor=request.user, request=request)
        return Response(PreparedFileSerializer(job).data)
