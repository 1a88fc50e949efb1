"""Staff pages for sub-processor changes: schedule, announce, withdraw, objections. Notice (proof, postponement,
alternate contacts) is in views/notices.py."""

import datetime as dt

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from portal.core.errors import ApplicationError
from portal.core.forms import form_error
from portal.organisations.permissions import legal_required
from portal.staff.tables import Table
from subprocessors.changes.filters import ChangeFilter
from subprocessors.changes.forms import (
    AlternateContactForm,
    AnnounceForm,
    ChangeEditForm,
    ChangeForm,
    MessageForm,
    NewSubprocessorForm,
    ObjectionStatusForm,
    PostponeForm,
    WithdrawForm,
)
from subprocessors.changes.models import SubprocessorChange
from subprocessors.changes.selectors import (
    change_notice_counts,
    change_notice_gap_organisations,
    change_notice_gaps,
    staff_changes,
)
from subprocessors.changes.services import (
    change_announce,
    change_create,
    change_create_with_subprocessor,
    change_delete,
    change_update,
    change_withdraw,
)
from subprocessors.changes.windows import earliest_effective_date
from subprocessors.objections.models import Objection
from subprocessors.objections.selectors import change_objections, objection_status_counts
from subprocessors.objections.services import objection_message_post, objection_set_status

VIEW = "changes.view_subprocessorchange"
ADD = "changes.add_subprocessorchange"
ANNOUNCE = "changes.announce_subprocessorchange"
DECIDE = "objections.decide_objection"

COLUMNS = {
    "subprocessor": ("subprocessor__name", "-created_at"),
    "kind": ("kind", "-created_at"),
    "status": ("status", "-created_at"),
    "effective": ("effective_date",),
    "objections": ("open_objection_count", "objection_count"),
    "created": ("created_at",),
}
GAPS_SHOWN = 50


def change_by_public_id(public_id) -> SubprocessorChange:
    return get_object_or_404(SubprocessorChange.objects.select_related("subprocessor", "replaces"), public_id=public_id)


@legal_required(VIEW)
def change_list(request):
    filterset = ChangeFilter(request.GET or None, queryset=staff_changes())
    table = Table.build(request, filterset.qs, columns=COLUMNS, default="-created", noun=("change", "changes"))
    return render(request, "changes/staff/change_list.html", {"form": filterset.form, "table": table})


@legal_required(ADD)
def change_new(request):
    form = ChangeForm(request.POST or None)
    new_form = NewSubprocessorForm(request.POST or None, prefix="new")
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        creates = form.creates_subprocessor
        if not creates or new_form.is_valid():
            try:
                if creates:
                    data.pop("subprocessor")
                    change = change_create_with_subprocessor(
                        subprocessor_data=new_form.cleaned_data, actor=request.user, request=request, **data
                    )
                else:
                    change = change_create(actor=request.user, request=request, **data)
            except ApplicationError as exc:
                form_error(new_form if creates and exc.field in new_form.fields else form, exc)
            else:
                messages.success(request, "Change saved as a draft. Announce it to start the notice period.")
                return redirect("staff_change_detail", public_id=change.public_id)
    return render(
        request,
        "changes/staff/change_new.html",
        {"form": form, "new_form": new_form},
        status=400 if request.method == "POST" else 200,
    )


@legal_required(ADD)
def change_edit(request, public_id):
    change = change_by_public_id(public_id)
    if change.status != SubprocessorChange.Status.DRAFT:
        messages.error(request, "Only a draft can be edited; an announced change can be withdrawn.")
        return redirect("staff_change_detail", public_id=public_id)
    initial = {"reason": change.reason, "modification": change.modification, "effective_date": change.effective_date}
    form = ChangeEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            change_update(change=change, actor=request.user, request=request, **form.cleaned_data)
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, "Draft saved.")
            return redirect("staff_change_detail", public_id=public_id)
    return render(
        request,
        "changes/staff/change_edit.html",
        {"change": change, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@legal_required(ADD)
@require_POST
def change_delete_view(request, public_id):
    change = change_by_public_id(public_id)
    try:
        change_delete(change=change, actor=request.user, request=request)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("staff_change_detail", public_id=public_id)
    messages.success(request, "Draft deleted.")
    return redirect("staff_change_list")


def detail_context(change, **extra):
    """The change page: what customers are told, the notice and who it is still missing for, the decisions."""
    now = timezone.now()
    earliest = earliest_effective_date(change.kind, now)
    suggested = max(change.effective_date, earliest)
    pending = change.status in (SubprocessorChange.Status.ANNOUNCED, SubprocessorChange.Status.HELD)
    later = max(earliest, change.effective_date + dt.timedelta(days=1))
    context = {
        "change": change,
        "now": now,
        "announce_form": AnnounceForm(initial={"effective_date": suggested}),
        "withdraw_form": WithdrawForm(),
        "postpone_form": PostponeForm(initial={"effective_date": later}, prefix="postpone"),
        "counts": change_notice_counts(change=change) if change.announced_at else None,
        "objections": change_objections(change=change),
        "objection_counts": objection_status_counts(change=change),
        "pending": pending,
    }
    if change.announced_at and pending:
        context["gaps"] = list(change_notice_gaps(change=change)[:GAPS_SHOWN])
        context["alternate_form"] = AlternateContactForm(
            organisations=change_notice_gap_organisations(change=change), prefix="alternate"
        )
    context.update(extra)
    return context


@legal_required(VIEW)
def change_detail(request, public_id):
    change = change_by_public_id(public_id)
    return render(request, "changes/staff/change_detail.html", detail_context(change))


def change_action(request, change, *, form, form_name: str, act, success):
    """Run one staff decision from the change page: on success a message and back to the page; a rule the service
    refuses shows on its form (or above the forms when it names no field), with the page answering 400."""
    action_error = None
    if form.is_valid():
        try:
            result = act(form.cleaned_data)
        except ApplicationError as exc:
            form_error(form, exc)
            action_error = None if exc.field else exc.message
        else:
            messages.success(request, success(result, form.cleaned_data) if callable(success) else success)
            return redirect("staff_change_detail", public_id=change.public_id)
    context = detail_context(change, **{form_name: form}, action_error=action_error)
    return render(request, "changes/staff/change_detail.html", context, status=400)


@legal_required(ANNOUNCE)
@require_POST
def change_announce_view(request, public_id):
    change = change_by_public_id(public_id)
    return change_action(
        request,
        change,
        form=AnnounceForm(request.POST),
        form_name="announce_form",
        act=lambda data: change_announce(
            change=change, effective_date=data["effective_date"], actor=request.user, request=request
        ),
        success="Announced. Notices are being sent; the proof of notice fills in as they go.",
    )


@legal_required(ANNOUNCE)
@require_POST
def change_withdraw_view(request, public_id):
    change = change_by_public_id(public_id)
    return change_action(
        request,
        change,
        form=WithdrawForm(request.POST),
        form_name="withdraw_form",
        act=lambda data: change_withdraw(change=change, reason=data["reason"], actor=request.user, request=request),
        success="Withdrawn. Everyone who was notified receives the withdrawal.",
    )


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
                return redirect("staff_objection_detail", public_id=objection.public_id)
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
                return redirect("staff_objection_detail", public_id=objection.public_id)
    return render(request, "objections/staff/objection_detail.html", _objection_context(objection, **extra), status=400)
