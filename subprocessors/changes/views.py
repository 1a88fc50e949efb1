"""Staff pages for sub-processor changes: schedule, announce, withdraw. Notice (proof, postponement, alternate
contacts) is in the notices app; the objections card comes from the objections app."""

import datetime as dt

from django.apps import apps
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from portal.core.errors import ApplicationError
from portal.core.forms import form_error
from portal.core.permissions import legal_required
from portal.core.tables import Table
from subprocessors.changes.filters import ChangeFilter
from subprocessors.changes.forms import (
    AlternateContactForm,
    AnnounceForm,
    ChangeEditForm,
    ChangeForm,
    NewSubprocessorForm,
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

VIEW = "changes.view_subprocessorchange"
ADD = "changes.add_subprocessorchange"
ANNOUNCE = "changes.announce_subprocessorchange"
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
                return redirect("changes:staff_detail", public_id=change.public_id)
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
        return redirect("changes:staff_detail", public_id=public_id)
    initial = {"reason": change.reason, "modification": change.modification, "effective_date": change.effective_date}
    form = ChangeEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            change_update(change=change, actor=request.user, request=request, **form.cleaned_data)
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, "Draft saved.")
            return redirect("changes:staff_detail", public_id=public_id)
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
        return redirect("changes:staff_detail", public_id=public_id)
    messages.success(request, "Draft deleted.")
    return redirect("changes:staff_list")


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
        # Other apps add their sections (the objections to this change) through AppConfig.change_detail_sections.
        "sections": [
            section
            for config in apps.get_app_configs()
            for section in getattr(config, "change_detail_sections", lambda change: [])(change)
        ],
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
            return redirect("changes:staff_detail", public_id=change.public_id)
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
