"""Customer side of DPA execution: the admin's request, the signatory's emailed link, the executed download."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from dpa.signing import events
from dpa.signing.agreement import agreement_failed, agreement_waiting
from dpa.signing.evidence import execution_file_label
from dpa.signing.forms import DeclineForm, ExecutionRequestForm, SignForm
from dpa.signing.models import DpaExecution
from dpa.signing.selectors import execution_for_token, execution_in_force, executions_for_organisation, open_execution
from dpa.signing.services import (
    AGREEMENT_BEING_PREPARED,
    ANNEX_CHANGED,
    DOCUMENT_CHANGED,
    NOT_ADMIN_REASON,
    REASON_REQUIRED,
    ExecutionNotAllowed,
    dpa_execution_agreement_refresh,
    dpa_execution_decline,
    dpa_execution_request,
    dpa_execution_sign,
    execution_refusal,
    signatory_actor,
    signing_refusal,
)
from dpa.versions.pdf import annex_as_of_label
from dpa.versions.selectors import current_version
from dpa.versions.views import pdf_response
from portal.core.clients import client_ip
from portal.core.errors import ApplicationError
from portal.core.forms import form_error
from portal.evidence.files import read_verified
from portal.organisations.models import Membership
from portal.organisations.selectors import membership_for


def organisation_section(request, membership) -> dict:
    """The DPA panel of the customer home and its two summary lines (hooked in via DpaConfig.organisation_sections)."""
    organisation = membership.organisation
    current = current_version()
    in_force = execution_in_force(organisation)
    context = {
        "organisation": organisation,
        "current": current,
        "in_force": in_force,
        "open": open_execution(organisation),
        "history": executions_for_organisation(organisation)[:20],
        "refusal": execution_refusal(membership),
        "is_admin": membership.role == Membership.Role.ADMIN,
        "needs_new_signature": bool(current and (in_force is None or in_force.version_id != current.pk)),
    }
    return {
        "id": "dpa",
        "order": 10,
        "title": "Data Processing Agreement",
        "html": render_to_string("signing/includes/organisation_section.html", context, request=request),
        "summary": [
            {
                "label": "DPA in force",
                "html": render_to_string("versions/includes/home_summary_in_force.html", context, request=request),
            },
            {
                "label": "DPA signing",
                "html": render_to_string("signing/includes/home_summary_signing.html", context, request=request),
            },
        ],
    }


@login_required
def execution_request(request, public_id):
    membership = membership_for(request.user, public_id)
    organisation = membership.organisation
    refusal = execution_refusal(membership)
    form = ExecutionRequestForm(request.POST if request.method == "POST" else None)
    context = {"organisation": organisation, "refusal": refusal, "form": form, "version": current_version()}
    if request.method == "POST":
        if refusal:
            return render(request, "signing/execution_request.html", context, status=403)
        if form.is_valid():
            try:
                execution, _token = dpa_execution_request(
                    membership=membership, actor=request.user, request=request, **form.cleaned_data
                )
            except ExecutionNotAllowed as exc:
                context["refusal"] = exc.message
                return render(request, "signing/execution_request.html", context, status=403)
            except ApplicationError as exc:
                form_error(form, exc)
            else:
                messages.success(
                    request,
                    f"We emailed {execution.signatory_email} a link to sign version {execution.version.label}. "
                    "It is valid for 14 days.",
                )
                return redirect("organisations:detail", public_id=organisation.public_id)
        return render(request, "signing/execution_request.html", context, status=400)
    return render(request, "signing/execution_request.html", context)


@login_required
@require_POST
def execution_withdraw(request, public_id, execution_id):
    """An organisation admin withdraws an open request (wrong signatory, changed plans), with a reason."""
    membership = membership_for(request.user, public_id)
    if membership.role != Membership.Role.ADMIN:
        raise PermissionDenied(NOT_ADMIN_REASON)
    execution = get_object_or_404(DpaExecution, public_id=execution_id, organisation=membership.organisation)
    form = DeclineForm(request.POST)
    try:
        if not form.is_valid():
            raise ApplicationError(REASON_REQUIRED)
        dpa_execution_decline(
            execution=execution,
            side=DpaExecution.Side.CUSTOMER,
            reason=form.cleaned_data["reason"],
            actor=request.user,
            request=request,
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The signing request was withdrawn. You can request a new one.")
    return redirect("organisations:detail", public_id=public_id)


def _execution_from_token(token) -> DpaExecution:
    execution = execution_for_token(token)
    if execution is None:
        raise Http404
    return execution


def sign(request, token):
    execution = _execution_from_token(token)
    action = request.POST.get("action") if request.method == "POST" else None
    if request.method == "GET":
        # The signatory reviews the agreement with the sub-processor list in force now.
        execution = dpa_execution_agreement_refresh(execution=execution, request=request)
    sign_form = SignForm(
        request.POST if action == "sign" else None, initial={"agreement_sha256": execution.agreement_sha256}
    )
    decline_form = DeclineForm(request.POST if action == "decline" else None)
    status = 200
    if request.method == "POST":
        status = 400
        try:
            if action == "decline" and decline_form.is_valid():
                dpa_execution_decline(
                    execution=execution,
                    side=DpaExecution.Side.CUSTOMER,
                    reason=decline_form.cleaned_data["reason"],
                    actor=None,
                    request=request,
                )
                messages.success(request, "You declined to sign. We have told the processor's legal team why.")
                return redirect("signing:sign", token=token)
            if action == "sign" and sign_form.is_valid():
                dpa_execution_sign(
                    execution=execution,
                    typed_name=sign_form.cleaned_data["typed_name"],
                    confirms_authority=sign_form.cleaned_data["confirms_authority"],
                    agreement_sha256=sign_form.cleaned_data["agreement_sha256"],
                    ip=client_ip(request),
                    user_agent=request.META.get("HTTP_USER_AGENT", ""),
                    request=request,
                )
                messages.success(request, "Thank you, you signed the DPA. It is executed once we countersign.")
                return redirect("signing:sign", token=token)
        except ApplicationError as exc:
            form_error(decline_form if action == "decline" else sign_form, exc)
        if action == "sign":
            _show_current_agreement(request, execution, sign_form)
        execution.refresh_from_db()
    expired = execution.link_expires_at <= timezone.now()
    refusal = signing_refusal(execution)
    return render(
        request,
        "signing/sign.html",
        {
            "execution": execution,
            "token": token,
            "sign_form": sign_form,
            "decline_form": decline_form,
            "expired": expired,
            "refusal": refusal,
            "annex_as_of": annex_as_of_label(execution.annex_as_of) if execution.annex_as_of else "",
            "can_act": execution.status == DpaExecution.Status.AWAITING_SIGNATORY and not expired and not refusal,
            "preparing": agreement_waiting(execution),
            "preparing_failed": agreement_failed(execution),
        },
        status=status,
    )


def _show_current_agreement(request, execution: DpaExecution, sign_form: SignForm) -> None:
    """After a refused signature, re-prepare the agreement if the list changed and put its hash in the form, so
    the next signature is for the document the page now shows."""
    shown = request.POST.get("agreement_sha256", "")
    execution = dpa_execution_agreement_refresh(execution=execution, request=request)
    data = request.POST.copy()  # what the refused signature posted: the form's data
    data["agreement_sha256"] = execution.agreement_sha256
    sign_form.data = data
    already_told = {ANNEX_CHANGED, DOCUMENT_CHANGED, AGREEMENT_BEING_PREPARED} & set(sign_form.non_field_errors())
    if shown != execution.agreement_sha256 and not already_told:
        sign_form.add_error(None, ANNEX_CHANGED)


def agreement_preparing_response(
    request, execution: DpaExecution, *, back_url: str, base: str = "base.html"
) -> HttpResponse:
    """What a link to the agreement for signature answers while a worker still renders it: a page that says so
    and checks again every few seconds (202, Retry-After), or says it could not be prepared (503)."""
    failed = agreement_failed(execution)
    response = render(
        request,
        "signing/agreement_preparing.html",
        {"execution": execution, "back_url": back_url, "url": request.path, "failed": failed, "base": base},
        status=503 if failed else 202,
    )
    response["Retry-After"] = "60" if failed else "3"
    response["Cache-Control"] = "no-store"
    return response


def sign_pdf(request, token):
    execution = _execution_from_token(token)
    if execution.status != DpaExecution.Status.AWAITING_SIGNATORY or execution.link_expires_at <= timezone.now():
        raise Http404
    if not execution.agreement_ready:
        return agreement_preparing_response(request, execution, back_url=reverse("signing:sign", args=[token]))
    content = read_verified(
        path=execution.agreement_path,
        sha256=execution.agreement_sha256,
        what=execution_file_label(execution, executed=False),
        target=execution,
        organisation=execution.organisation,
        request=request,
        actor=signatory_actor(execution),
    )
    return pdf_response(content, f"dpa-{execution.version.label}-for-signature.pdf")


@login_required
def executed_pdf(request, public_id, execution_id):
    membership = membership_for(request.user, public_id)
    execution = get_object_or_404(
        DpaExecution.objects.select_related("version"),
        public_id=execution_id,
        organisation=membership.organisation,
        status=DpaExecution.Status.EXECUTED,
    )
    content = read_verified(
        path=execution.executed_path,
        sha256=execution.executed_sha256,
        what=execution_file_label(execution, executed=True),
        target=execution,
        organisation=membership.organisation,
        request=request,
    )
    events.dpa_executed_copy_downloaded(execution=execution, actor=request.user, request=request)
    return pdf_response(content, f"dpa-{execution.version.label}-executed-{execution.executed_at:%Y%m%d}.pdf")
