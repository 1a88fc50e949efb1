"""Staff pages for sub-processor changes: schedule, announce, withdraw, proof of notice, objections."""

from django.contrib import messages
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from portal.errors import ApplicationError
from portal.forms import form_error
from portal.permissions import legal_required
from portal.services.audit import audit_record
from portal.tables import Table
from portal.views.staff import csv_response
from subprocessors.filters import ChangeFilter, NoticeFilter
from subprocessors.forms.changes import (
    AnnounceForm,
    ChangeEditForm,
    ChangeForm,
    MessageForm,
    NewSubprocessorForm,
    ObjectionStatusForm,
    WithdrawForm,
)
from subprocessors.models import Objection, SubprocessorChange
from subprocessors.selectors.changes import (
    change_notice_counts,
    change_notice_proof,
    change_objections,
    objection_status_counts,
    staff_changes,
)
from subprocessors.services.changes import (
    change_announce,
    change_create,
    change_create_with_subprocessor,
    change_delete,
    change_update,
    change_withdraw,
)
from subprocessors.services.objections import objection_message_post, objection_set_status
from subprocessors.windows import earliest_effective_date

VIEW = "subprocessors.view_subprocessorchange"
ADD = "subprocessors.add_subprocessorchange"
ANNOUNCE = "subprocessors.announce_subprocessorchange"
DECIDE = "subprocessors.decide_objection"

COLUMNS = {
    "subprocessor": ("subprocessor__name", "-created_at"),
    "kind": ("kind", "-created_at"),
    "status": ("status", "-created_at"),
    "effective": ("effective_date",),
    "objections": ("open_objection_count", "objection_count"),
    "created": ("created_at",),
}
NOTICE_COLUMNS = {
    "recipient": ("email",),
    "role": ("role", "email"),
    "sent": (F("announce_email__sent_at"), "email"),
}
NOTICE_PAGE_SIZE = 100


def _change(public_id) -> SubprocessorChange:
    return get_object_or_404(SubprocessorChange.objects.select_related("subprocessor", "replaces"), public_id=public_id)


@legal_required(VIEW)
def change_list(request):
    filterset = ChangeFilter(request.GET or None, queryset=staff_changes())
    table = Table.build(request, filterset.qs, columns=COLUMNS, default="-created", noun=("change", "changes"))
    return render(request, "subprocessors/staff/change_list.html", {"form": filterset.form, "table": table})


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
        "subprocessors/staff/change_new.html",
        {"form": form, "new_form": new_form},
        status=400 if request.method == "POST" else 200,
    )


@legal_required(ADD)
def change_edit(request, public_id):
    change = _change(public_id)
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
        "subprocessors/staff/change_edit.html",
        {"change": change, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@legal_required(ADD)
@require_POST
def change_delete_view(request, public_id):
    change = _change(public_id)
    try:
        change_delete(change=change, actor=request.user, request=request)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("staff_change_detail", public_id=public_id)
    messages.success(request, "Draft deleted.")
    return redirect("staff_change_list")


def _detail_context(change, **extra):
    suggested = max(change.effective_date, earliest_effective_date(change.kind, timezone.now()))
    context = {
        "change": change,
        "announce_form": AnnounceForm(initial={"effective_date": suggested}),
        "withdraw_form": WithdrawForm(),
        "counts": change_notice_counts(change=change) if change.announced_at else None,
        "objections": change_objections(change=change),
        "objection_counts": objection_status_counts(change=change),
    }
    context.update(extra)
    return context


@legal_required(VIEW)
def change_detail(request, public_id):
    change = _change(public_id)
    return render(request, "subprocessors/staff/change_detail.html", _detail_context(change))


@legal_required(ANNOUNCE)
@require_POST
def change_announce_view(request, public_id):
    change = _change(public_id)
    form = AnnounceForm(request.POST)
    action_error = None
    if form.is_valid():
        try:
            change_announce(
                change=change, effective_date=form.cleaned_data["effective_date"], actor=request.user, request=request
            )
        except ApplicationError as exc:
            form_error(form, exc)
            action_error = None if exc.field else exc.message
        else:
            messages.success(request, "Announced. Notices are being sent; the proof of notice fills in as they go.")
            return redirect("staff_change_detail", public_id=public_id)
    return render(
        request,
        "subprocessors/staff/change_detail.html",
        _detail_context(change, announce_form=form, action_error=action_error),
        status=400,
    )


@legal_required(ANNOUNCE)
@require_POST
def change_withdraw_view(request, public_id):
    change = _change(public_id)
    form = WithdrawForm(request.POST)
    action_error = None
    if form.is_valid():
        try:
            change_withdraw(change=change, reason=form.cleaned_data["reason"], actor=request.user, request=request)
        except ApplicationError as exc:
            form_error(form, exc)
            action_error = None if exc.field else exc.message
        else:
            messages.success(request, "Withdrawn. Everyone who was notified receives the withdrawal.")
            return redirect("staff_change_detail", public_id=public_id)
    return render(
        request,
        "subprocessors/staff/change_detail.html",
        _detail_context(change, withdraw_form=form, action_error=action_error),
        status=400,
    )


def _notice_status(email) -> tuple[str, str]:
    """(sent time or "", why not) for one recipient's email."""
    if email is None:
        return "", "not created yet (fan-out in progress)"
    if email.sent_at:
        return email.sent_at.isoformat(), ""
    if email.status == "failed":
        return "", f"failed: {email.last_error}"
    if email.last_error:
        return "", f"queued for retry after: {email.last_error}"
    return "", f"{email.status} since {email.created_at:%Y-%m-%d %H:%M}"


@legal_required(VIEW)
def change_notice(request, public_id):
    change = _change(public_id)
    filterset = NoticeFilter(request.GET or None, queryset=change_notice_proof(change=change))
    table = Table.build(
        request,
        filterset.qs,
        columns=NOTICE_COLUMNS,
        default="recipient",
        noun=("recipient", "recipients"),
        page_size=NOTICE_PAGE_SIZE,
    )
    rows = []
    for r in table.page:
        sent, why = _notice_status(r.announce_email)
        rows.append({"recipient": r, "sent": r.announce_email.sent_at if r.announce_email else None, "why": why})
    return render(
        request,
        "subprocessors/staff/change_notice.html",
        {
            "change": change,
            "form": filterset.form,
            "table": table,
            "rows": rows,
            "counts": change_notice_counts(change=change),
        },
    )


@legal_required(VIEW)
def change_notice_export(request, public_id):
    change = _change(public_id)
    audit_record(action="subprocessor_change.notice_exported", actor=request.user, target=change, request=request)
    deadline = change.objection_deadline.isoformat()
    announced = change.announced_at.isoformat() if change.announced_at else ""

    def rows():
        for r in change_notice_proof(change=change).iterator(chunk_size=2000):
            sent, why = _notice_status(r.announce_email)
            withdraw_sent, withdraw_why = ("", "") if r.withdraw_email_id is None else _notice_status(r.withdraw_email)
            yield (
                r.email,
                r.get_role_display(),
                r.organisation_names,
                announced,
                change.effective_date.isoformat(),
                deadline,
                r.announce_email.created_at.isoformat() if r.announce_email else "",
                sent,
                why,
                withdraw_sent,
                withdraw_why,
            )

    header = [
        "recipient",
        "role",
        "organisations",
        "announced_at",
        "effective_date",
        "objection_deadline",
        "queued_at",
        "sent_at",
        "not_sent_reason",
        "withdrawal_sent_at",
        "withdrawal_not_sent_reason",
    ]
    return csv_response(f"notice-{change.public_id}.csv", header, rows())


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


@legal_required("subprocessors.view_objection")
def staff_objection_detail(request, public_id):
    objection = _objection(public_id)
    if request.method == "POST":
        return _staff_objection_post(request, objection)
    return render(request, "subprocessors/staff/objection_detail.html", _objection_context(objection))


@legal_required(DECIDE)
def _staff_objection_post(request, objection):
    if "body" in request.POST:
        form = MessageForm(request.POST)
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
    return render(
        request, "subprocessors/staff/objection_detail.html", _objection_context(objection, **extra), status=400
    )
