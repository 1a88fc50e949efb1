"""Legal staff pages for signed DPAs: the executions list, an execution's page and PDF, the signed-DPA register."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from dpa.signing import events
from dpa.signing.agreement import (
    MAX_ATTEMPTS,
    agreement_failed,
    agreement_waiting,
    dpa_execution_agreement_retry,
)
from dpa.signing.evidence import execution_file_label
from dpa.signing.filters import ExecutionFilter
from dpa.signing.forms import CountersignForm, DeclineForm
from dpa.signing.models import DpaExecution
from dpa.signing.register import REGISTER_HEADER, dpa_register_prepare, register_csv_rows
from dpa.signing.selectors import EXECUTION_COLUMNS, staff_executions
from dpa.signing.services import countersign_refusal, dpa_execution_countersign, dpa_execution_decline
from dpa.signing.views import agreement_preparing_response
from dpa.versions.pdf import annex_as_of_label
from dpa.versions.views import pdf_response
from portal.core.csv import csv_response
from portal.core.errors import ApplicationError
from portal.core.forms import form_error
from portal.core.permissions import legal_required
from portal.core.tables import Table
from portal.evidence.files import read_verified
from portal.evidence.views import prepared_file_response


@legal_required("signing.view_dpaexecution")
def execution_list(request):
    filterset = ExecutionFilter(request.GET or None, queryset=staff_executions())
    table = Table.build(
        request, filterset.qs, columns=EXECUTION_COLUMNS, default="-requested", noun=("agreement", "agreements")
    )
    return render(request, "signing/staff/execution_list.html", {"form": filterset.form, "table": table})


@require_safe
@legal_required("signing.view_dpaexecution")
def execution_register_pdf(request):
    """The signed-DPA register (PDF), issued as evidence (stored, recorded with its SHA-256 and audited) by a
    worker, once per state of the register; until it is, a page that says so and reloads itself. Signing that
    fails issues nothing: the failure page says why and lets legal staff retry."""
    job = dpa_register_prepare(actor=request.user)
    issued = job.issued_report.issued_at if job.issued_report is not None else job.created_at
    return prepared_file_response(
        request, job, filename=f"dpa-register-{issued:%Y%m%d-%H%M%S}.pdf", back_url=reverse("signing:staff_list")
    )


@legal_required("signing.view_dpaexecution")
def execution_register_csv(request):
    events.dpa_register_exported(actor=request.user, request=request)
    return csv_response("dpa-register.csv", REGISTER_HEADER, register_csv_rows())


@legal_required("signing.view_dpaexecution")
def execution_detail(request, public_id):
    execution = get_object_or_404(
        DpaExecution.objects.select_related("organisation", "version", "requested_by", "countersigned_by"),
        public_id=public_id,
    )
    action = request.POST.get("action")
    countersign_form = CountersignForm(request.POST if action == "countersign" else None)
    decline_form = DeclineForm(request.POST if action == "decline" else None)
    if request.method == "POST":
        if not request.user.has_perm("signing.change_dpaexecution"):
            messages.error(request, "You may view DPAs but not sign or decline them.")
            return redirect("signing:staff_detail", public_id=public_id)
        try:
            if action == "countersign" and countersign_form.is_valid():
                dpa_execution_countersign(
                    execution=execution, actor=request.user, request=request, **countersign_form.cleaned_data
                )
                messages.success(request, "Countersigned. The executed PDF is stored and the customer is told.")
                return redirect("signing:staff_detail", public_id=public_id)
            if action == "decline" and decline_form.is_valid():
                dpa_execution_decline(
                    execution=execution,
                    side=DpaExecution.Side.PROCESSOR,
                    reason=decline_form.cleaned_data["reason"],
                    actor=request.user,
                    request=request,
                )
                messages.success(request, "Declined. The customer is told why.")
                return redirect("signing:staff_detail", public_id=public_id)
        except ApplicationError as exc:
            form_error(decline_form if action == "decline" else countersign_form, exc)
        execution.refresh_from_db()
    return render(
        request,
        "signing/staff/execution_detail.html",
        {
            "execution": execution,
            "countersign_form": countersign_form,
            "decline_form": decline_form,
            "countersign_refusal": countersign_refusal(execution),
            "annex_as_of": annex_as_of_label(execution.annex_as_of) if execution.annex_as_of else "",
            "preparing": agreement_waiting(execution),
            "preparing_failed": agreement_failed(execution),
            "max_attempts": MAX_ATTEMPTS,
        },
        status=400 if request.method == "POST" else 200,
    )


@legal_required("signing.view_dpaexecution")
def execution_pdf(request, public_id):
    execution = get_object_or_404(DpaExecution.objects.select_related("version", "organisation"), public_id=public_id)
    executed = bool(execution.executed_path)
    if not executed and agreement_waiting(execution):
        back_url = reverse("signing:staff_detail", args=[execution.public_id])
        return agreement_preparing_response(request, execution, back_url=back_url, base="staff/base.html")
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


@require_POST
@legal_required("signing.change_dpaexecution")
def execution_agreement_retry(request, public_id):
    """Legal staff render a failed agreement for signature again now, then return to the execution's page."""
    execution = get_object_or_404(DpaExecution, public_id=public_id)
    try:
        dpa_execution_agreement_retry(execution=execution, actor=request.user, request=request)
    except ApplicationError as exc:
        messages.info(request, exc.message)
    else:
        messages.success(request, "Trying again: the agreement for signature is being prepared.")
    return redirect("signing:staff_detail", public_id=public_id)
