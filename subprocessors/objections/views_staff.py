"""Staff pages for objections: the thread with the customer, replies, status changes, and the objections card
on a change's page."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string

from portal.core.errors import ApplicationError
from portal.core.forms import form_error
from portal.core.permissions import legal_required
from subprocessors.objections.forms import MessageForm, ObjectionStatusForm
from subprocessors.objections.models import Objection
from subprocessors.objections.selectors import change_objections, objection_status_counts
from subprocessors.objections.services import objection_message_post, objection_set_status

DECIDE = "objections.decide_objection"


def _objection(public_id) -> Objection:
    return get_object_or_404(
        Objection.objects.select_related("change__subprocessor", "change__replaces", "organisation", "raised_by"),
        public_id=public_id,
    )


def _objection_context(objection, **extra):
    context = {
        "objection": objection,
        "thread": objection.messages.select_related("author"),
        "message_form": MessageForm(),
        "status_form": ObjectionStatusForm(),
    }
    context.update(extra)
    return context


@legal_required("objections.view_objection")
def staff_objection_detail(request, public_id):
    objection = _objection(public_id)
    if request.method == "POST":
        return _staff_objection_post(request, objection)
    return render(request, "objections/staff/objection_detail.html", _objection_context(objection))


@legal_required(DECIDE)
def _staff_objection_post(request, objection):
    if "body" in request.POST:
        form: MessageForm | ObjectionStatusForm = MessageForm(request.POST)
        extra = {"message_form": form}
        if form.is_valid():
            try:
                objection_message_post(
                    objection=objection,
                    body=form.cleaned_data["body"],
                    actor=request.user,
                    from_staff=True,
                    request=request,
                )
            except ApplicationError as exc:
                form_error(form, exc)
            else:
                messages.success(request, "Message sent to the customer.")
                return redirect("objections:staff_detail", public_id=objection.public_id)
    else:
        form = ObjectionStatusForm(request.POST)
        extra = {"status_form": form}
        if form.is_valid():
            try:
                objection_set_status(objection=objection, actor=request.user, request=request, **form.cleaned_data)
            except ApplicationError as exc:
                form_error(form, exc)
            else:
                messages.success(request, "Status saved; the customer was told.")
                return redirect("objections:staff_detail", public_id=objection.public_id)
    return render(request, "objections/staff/objection_detail.html", _objection_context(objection, **extra), status=400)


def change_objections_section(change) -> dict:
    """The objections card on the staff page of a change (ObjectionsConfig.change_detail_sections)."""
    context = {
        "objections": change_objections(change=change),
        "objection_counts": objection_status_counts(change=change),
    }
    return {"html": render_to_string("objections/staff/includes/change_objections.html", context)}
