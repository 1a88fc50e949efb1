"""Legal staff pages for DPA versions (draft, edit, publish, preview) and executions (countersign, decline)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from dpa.documents import split_clauses
from dpa.filters import ExecutionFilter
from dpa.forms.signing import CountersignForm, DeclineForm
from dpa.forms.versions import DpaVersionForm
from dpa.models import DpaExecution, DpaVersion
from dpa.selectors.evidence import execution_file_label
from dpa.selectors.signing import staff_executions
from dpa.selectors.versions import staff_versions
from dpa.services.pdf import annex_as_of_label
from dpa.services.register import REGISTER_HEADER, dpa_register_issue, register_csv_rows
from dpa.services.signing import countersign_refusal, dpa_execution_countersign, dpa_execution_decline
from dpa.services.versions import dpa_version_create, dpa_version_publish, dpa_version_update
from dpa.views.versions import pdf_response
from portal.errors import ApplicationError
from portal.forms import form_error
from portal.permissions import legal_required
from portal.services.audit import audit_record
from portal.services.evidence_files import read_verified
from portal.tables import Table
from portal.views.staff import csv_response, issued_report_response

VERSION_COLUMNS = {
    "version": ("created_at",),
    "status": ("status", "-created_at"),
    "effective": ("effective_date",),
    "published": (F("published_at"),),
}
EXECUTION_COLUMNS = {
    "organisation": ("organisation__name", "-created_at"),
    "version": ("version__created_at", "organisation__name"),
    "status": ("status", "-created_at"),
    "requested": ("created_at",),
    "executed": (F("executed_at"),),
}


@legal_required("dpa.view_dpaversion")
def version_list(request):
    table = Table.build(
        request, staff_versions(), columns=VERSION_COLUMNS, default="-version", noun=("version", "versions")
    )
    return render(request, "dpa/staff/version_list.html", {"table": table})


@legal_required("dpa.add_dpaversion")
def version_new(request):
    from dpa import sample_dpa

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
            return redirect("staff_dpa_version", label=version.label)
    return render(
        request, "dpa/staff/version_form.html", {"form": form}, status=400 if request.method == "POST" else 200
    )


@legal_required("dpa.view_dpaversion")
def version_edit(request, label):
    version = get_object_or_404(DpaVersion, label=label)
    if request.method == "POST" and not request.user.has_perm("dpa.change_dpaversion"):
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
            return redirect("staff_dpa_version", label=version.label)
    return render(
        request,
        "dpa/staff/version_form.html",
        {"form": form, "version": version, "clauses": split_clauses(version.body)},
        status=400 if request.method == "POST" else 200,
    )


@legal_required("dpa.publish_dpaversion")
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
    return redirect("staff_dpa_version", label=label)


@legal_required("dpa.view_dpaversion")
def version_preview(request, label):
    from dpa.services.pdf import INFORMATIONAL_WATERMARK, version_pdf

    version = get_object_or_404(DpaVersion, label=label)
    watermark = "Draft — not in force" if version.is_draft else INFORMATIONAL_WATERMARK
    content = version_pdf(version, watermark=watermark).read()
    return pdf_response(content, f"dpa-{version.label}-preview.pdf")


@legal_required("dpa.view_dpaexecution")
def execution_list(request):
    filterset = ExecutionFilter(request.GET or None, queryset=staff_executions())
    table = Table.build(
        request, filterset.qs, columns=EXECUTION_COLUMNS, default="-requested", noun=("agreement", "agreements")
    )
    return render(request, "dpa/staff/execution_list.html", {"form": filterset.form, "table": table})


@legal_required("dpa.view_dpaexecution")
def execution_register_pdf(request):
    """The signed-DPA register (PDF), issued as evidence: stored, recorded with its SHA-256 and audited."""
    try:
        report, content = dpa_register_issue(actor=request.user, request=request)
    except ApplicationError as exc:  # signing configured but failing: nothing is issued unsigned
        messages.error(request, exc.message)
        return redirect("staff_dpa_executions")
    return issued_report_response(report, content, f"dpa-register-{report.issued_at:%Y%m%d-%H%M%S}.pdf")


@legal_required("dpa.view_dpaexecution")
def execution_register_csv(request):
    audit_record(action="dpa.register_exported", actor=request.user, request=request, details={"format": "csv"})
    return csv_response("dpa-register.csv", REGISTER_HEADER, register_csv_rows())


@legal_required("dpa.view_dpaexecution")
def execution_detail(request, public_id):
    execution = get_object_or_404(
        DpaExecution.objects.select_related("organisation", "version", "requested_by", "countersigned_by"),
        public_id=public_id,
    )
    action = request.POST.get("action")
    countersign_form = CountersignForm(request.POST if action == "countersign" else None)
    decline_form = DeclineForm(request.POST if action == "decline" else None)
    if request.method == "POST":
        if not request.user.has_perm("dpa.change_dpaexecution"):
            messages.error(request, "You may view DPAs but not sign or decline them.")
            return redirect("staff_dpa_execution", public_id=public_id)
        try:
            if action == "countersign" and countersign_form.is_valid():
                dpa_execution_countersign(
                    execution=execution, actor=request.user, request=request, **countersign_form.cleaned_data
                )
                messages.success(request, "Countersigned. The executed PDF is stored and the customer is told.")
                return redirect("staff_dpa_execution", public_id=public_id)
            if action == "decline" and decline_form.is_valid():
                dpa_execution_decline(
                    execution=execution,
                    side=DpaExecution.Side.PROCESSOR,
                    reason=decline_form.cleaned_data["reason"],
                    actor=request.user,
                    request=request,
                )
                messages.success(request, "Declined. The customer is told why.")
                return redirect("staff_dpa_execution", public_id=public_id)
        except ApplicationError as exc:
            form_error(decline_form if action == "decline" else countersign_form, exc)
        execution.refresh_from_db()
    return render(
        request,
        "dpa/staff/execution_detail.html",
        {
            "execution": execution,
            "countersign_form": countersign_form,
            "decline_form": decline_form,
            "countersign_refusal": countersign_refusal(execution),
            "annex_as_of": annex_as_of_label(execution.annex_as_of) if execution.annex_as_of else "",
        },
        status=400 if request.method == "POST" else 200,
    )


@legal_required("dpa.view_dpaexecution")
def execution_pdf(request, public_id):
    execution = get_object_or_404(DpaExecution.objects.select_related("version", "organisation"), public_id=public_id)
    executed = bool(execution.executed_path)
    path = execution.executed_path or execution.agreement_path
    if not path:
        raise Http404
    content = read_verified(
        path=path,
        sha256=execution.executed_sha256 if executed else execution.agreement_sha256,
        what=execution_file_label(execution, executed=executed),
        target=execution,
        organisation=execution.organisation,
        request=request,
    )
    kind = "executed" if executed else "for-signature"
    return pdf_response(content, f"dpa-{execution.version.label}-{execution.organisation.public_id}-{kind}.pdf")
