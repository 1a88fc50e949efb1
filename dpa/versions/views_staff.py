"""Legal staff pages for DPA versions: list, draft, edit, publish, preview."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from dpa.versions import sample_dpa
from dpa.versions.clauses import split_clauses
from dpa.versions.forms import DpaVersionForm
from dpa.versions.models import DpaVersion
from dpa.versions.pdf import INFORMATIONAL_WATERMARK, version_pdf_if_stored, version_pdf_prepare
from dpa.versions.selectors import staff_versions
from dpa.versions.services import dpa_version_create, dpa_version_publish, dpa_version_update
from dpa.versions.views import pdf_response
from portal.core.errors import ApplicationError
from portal.core.forms import form_error
from portal.core.permissions import legal_required
from portal.core.tables import Table
from portal.evidence.views import prepared_file_response

PREVIEW_PERMISSION = "versions.view_dpaversion"
VERSION_COLUMNS = {
    "version": ("created_at",),
    "status": ("status", "-created_at"),
    "effective": ("effective_date",),
    "published": (F("published_at"),),
}


@legal_required("versions.view_dpaversion")
def version_list(request):
    table = Table.build(
        request, staff_versions(), columns=VERSION_COLUMNS, default="-version", noun=("version", "versions")
    )
    return render(request, "versions/staff/version_list.html", {"table": table})


@legal_required("versions.add_dpaversion")
def version_new(request):
    initial = {}
    latest = DpaVersion.objects.order_by("-created_at").first()
    if latest is not None:
        initial = {"title": latest.title, "body": latest.body}
    else:
        initial = {"title": "Data Processing Agreement", "body": sample_dpa.body()}
    form = DpaVersionForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            version = dpa_version_create(actor=request.user, request=request, **form.cleaned_data)
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, f"Draft {version.label} saved.")
            return redirect("versions:staff_edit", label=version.label)
    return render(
        request, "versions/staff/version_form.html", {"form": form}, status=400 if request.method == "POST" else 200
    )


@legal_required("versions.view_dpaversion")
def version_edit(request, label):
    version = get_object_or_404(DpaVersion, label=label)
    if request.method == "POST" and not request.user.has_perm("versions.change_dpaversion"):
        raise PermissionDenied("You may view DPA versions but not edit them.")
    form = DpaVersionForm(
        request.POST if request.method == "POST" else None, instance=DpaVersion.objects.get(pk=version.pk)
    )
    if request.method == "POST" and form.is_valid():
        try:
            version = dpa_version_update(version=version, data=form.cleaned_data, actor=request.user, request=request)
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, f"Draft {version.label} saved.")
            return redirect("versions:staff_edit", label=version.label)
    return render(
        request,
        "versions/staff/version_form.html",
        {"form": form, "version": version, "clauses": split_clauses(version.body)},
        status=400 if request.method == "POST" else 200,
    )


@legal_required("versions.publish_dpaversion")
@require_POST
def version_publish(request, label):
    version = get_object_or_404(DpaVersion, label=label)
    try:
        dpa_version_publish(version=version, actor=request.user, request=request)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Version {version.label} is published. Enterprise customers' privacy contacts are being told."
        )
    return redirect("versions:staff_edit", label=label)


@legal_required(PREVIEW_PERMISSION)
def version_preview(request, label):
    version = get_object_or_404(DpaVersion, label=label)
    watermark = "Draft — not in force" if version.is_draft else INFORMATIONAL_WATERMARK
    filename = f"dpa-{version.label}-preview.pdf"
    stored = version_pdf_if_stored(version, watermark=watermark)
    if stored is None:  # a worker renders it; the page says so and reloads itself
        job = version_pdf_prepare(version, watermark=watermark, actor=request.user, permission=PREVIEW_PERMISSION)
        return prepared_file_response(
            request, job, filename=filename, back_url=reverse("versions:staff_edit", args=[version.label])
        )
    return pdf_response(stored.read(), filename)
