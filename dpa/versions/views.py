"""Public and customer pages for DPA versions: the version list, reading online, the informational PDF, the
diff between two versions, and verification of an executed copy."""

from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse

from dpa.versions import events
from dpa.versions.clauses import diff_clauses, split_clauses
from dpa.versions.pdf import INFORMATIONAL_WATERMARK, version_pdf_if_stored, version_pdf_prepare
from dpa.versions.selectors import can_read_dpa, current_version, public_version, public_versions
from portal.evidence.views import prepared_file_response

READ_REFUSED = "The full DPA text is for customers with approved trust-portal access."


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _require_reader(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not can_read_dpa(request.user):
        return render(request, "trust/no_access.html", {"reason": READ_REFUSED}, status=403)
    return None


def version_list(request):
    versions = list(public_versions())
    return render(
        request,
        "versions/version_list.html",
        {"versions": versions, "current": current_version(), "can_read": can_read_dpa(request.user)},
    )


def version_detail(request, label):
    version = public_version(label)
    can_read = can_read_dpa(request.user)
    return render(
        request,
        "versions/version_detail.html",
        {
            "version": version,
            "can_read": can_read,
            "clauses": split_clauses(version.body) if can_read else [],
            "previous": public_versions().filter(published_at__lt=version.published_at).first(),
        },
    )


def version_pdf(request, label):
    version = public_version(label)
    refused = _require_reader(request)
    if refused:
        return refused
    filename = f"dpa-{version.label}-informational.pdf"
    stored = version_pdf_if_stored(version, watermark=INFORMATIONAL_WATERMARK)
    if stored is None:  # not rendered yet (publishing's render task was lost, or the list changed): a worker does
        job = version_pdf_prepare(version, watermark=INFORMATIONAL_WATERMARK, actor=request.user)
        return prepared_file_response(
            request, job, filename=filename, back_url=reverse("versions:detail", args=[version.label])
        )
    content = stored.read()
    events.dpa_informational_copy_downloaded(version=version, actor=request.user, request=request)
    return pdf_response(content, filename)


def version_diff(request):
    refused = _require_reader(request)
    if refused:
        return refused
    versions = list(public_versions())
    by_label = {v.label: v for v in versions}
    new = by_label.get(request.GET.get("to", "")) or (versions[0] if versions else None)
    old_label = request.GET.get("from", "")
    old = by_label.get(old_label)
    if old is None and new is not None:
        published = new.published_at
        older = [v for v in versions if published and v.published_at and v.published_at < published]
        old = older[0] if older else None
    error = ""
    if request.GET and (request.GET.get("from") not in by_label or request.GET.get("to") not in by_label):
        error = "Choose two published versions."
    changes = diff_clauses(old.body, new.body) if old and new else []
    return render(
        request,
        "versions/version_diff.html",
        {
            "versions": versions,
            "old": old,
            "new": new,
            "changes": changes,
            "changed_count": sum(1 for c in changes if c.change in ("added", "removed", "changed")),
            "error": error,
        },
        status=400 if error else 200,
    )
