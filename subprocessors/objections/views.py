"""Customer pages: the objection form, the organisation's objections and their consultation threads."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from portal.core.errors import ApplicationError
from portal.core.forms import form_error
from portal.organisations.models import Membership, Organisation
from portal.organisations.selectors import membership_for
from subprocessors.changes.models import SubprocessorChange
from subprocessors.changes.windows import objection_window_open
from subprocessors.objections.forms import MessageForm, ObjectionForm
from subprocessors.objections.models import Objection
from subprocessors.objections.selectors import organisation_objections
from subprocessors.objections.services import (
    objection_confirm_termination,
    objection_create,
    objection_message_post,
    objection_set_status,
)


@login_required
def change_object(request, public_id):
    change = get_object_or_404(
        SubprocessorChange.objects.select_related("subprocessor", "replaces").exclude(
            status=SubprocessorChange.Status.DRAFT
        ),
        public_id=public_id,
    )
    form = ObjectionForm(request.POST or None, user=request.user)
    is_open = change.status == SubprocessorChange.Status.ANNOUNCED and objection_window_open(
        change.effective_date, timezone.now()
    )
    has_org = form.organisations.exists()
    self_serve = None if has_org else Organisation.objects.filter(memberships__user=request.user).first()
    if request.method == "POST" and form.is_valid():
        try:
            objection = objection_create(
                change=change,
                organisation=form.cleaned_data["organisation"],
                grounds=form.cleaned_data["grounds"],
                actor=request.user,
                request=request,
            )
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, "Objection received. Legal staff will reply in its thread.")
            return redirect(
                "objections:detail", public_id=objection.organisation.public_id, objection_id=objection.public_id
            )
    return render(
        request,
        "objections/change_object.html",
        {"change": change, "form": form, "is_open": is_open, "has_org": has_org, "self_serve": self_serve},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def objection_list(request, public_id):
    membership = membership_for(request.user, public_id)
    return render(
        request,
        "objections/objection_list.html",
        {
            "organisation": membership.organisation,
            "objections": organisation_objections(organisation=membership.organisation),
        },
    )


def _objection_for(membership, objection_id) -> Objection:
    return get_object_or_404(
        Objection.objects.select_related("change__subprocessor", "change__replaces", "organisation", "raised_by"),
        organisation=membership.organisation,
        public_id=objection_id,
    )


@login_required
def objection_detail(request, public_id, objection_id):
    membership = membership_for(request.user, public_id)
    objection = _objection_for(membership, objection_id)
    form = MessageForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        action = request.POST.get("action", "message")
        try:
            if action == "withdraw":
                objection_set_status(
                    objection=objection,
                    status=Objection.Status.WITHDRAWN,
                    actor=request.user,
                    by_customer=True,
                    request=request,
                )
                messages.success(request, "Objection withdrawn.")
                return redirect("objections:detail", public_id=public_id, objection_id=objection_id)
            if action == "terminate":
                objection_confirm_termination(objection=objection, actor=request.user, request=request)
                messages.success(request, "Termination confirmed. Deletion of your data is now tracked.")
                return redirect("objections:detail", public_id=public_id, objection_id=objection_id)
            if form.is_valid():
                objection_message_post(
                    objection=objection,
                    body=form.cleaned_data["body"],
                    actor=request.user,
                    from_staff=False,
                    request=request,
                )
                messages.success(request, "Message sent to legal staff.")
                return redirect("objections:detail", public_id=public_id, objection_id=objection_id)
        except ApplicationError as exc:
            if action == "message":
                form_error(form, exc)
            else:
                messages.error(request, exc.message)
        objection.refresh_from_db()
    return render(
        request,
        "objections/objection_detail.html",
        {
            "organisation": membership.organisation,
            "objection": objection,
            "thread": objection.messages.select_related("author"),
            "form": form,
            "is_admin": membership.role == Membership.Role.ADMIN,
        },
        status=status,
    )
