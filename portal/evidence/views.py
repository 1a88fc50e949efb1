from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from portal.core.permissions import legal_required
from portal.evidence.models import IssuedReport
from portal.evidence.reports import KIND_PERMISSIONS, issued_report_content


def issued_report_response(report, content: bytes, filename: str) -> HttpResponse:
    """An issued evidence PDF as a download, with the SHA-256 it was recorded under."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Report-SHA256"] = report.sha256
    return response


@legal_required()
def issued_report_download(request, public_id):
    """An issued report again, exactly as issued (the stored bytes, checked against the recorded SHA-256)."""
    report = get_object_or_404(IssuedReport, public_id=public_id)
    if not request.user.has_perm(KIND_PERMISSIONS[report.kind]):
        raise PermissionDenied("You may not open this kind of report.")
    content = issued_report_content(report=report, actor=request.user, request=request)
    return issued_report_response(report, content, f"{report.kind.replace('_', '-')}-{report.public_id}.pdf")
