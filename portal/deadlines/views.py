from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from portal.core.csv import csv_response
from portal.core.errors import ApplicationError
from portal.core.forms import form_error
from portal.core.permissions import legal_required
from portal.core.tables import Table, valid_filters
from portal.deadlines import events
from portal.deadlines.exports import CSV_HEADER, obligation_csv_rows
from portal.deadlines.forms import ObligationCompleteForm, ObligationFilterForm, ObligationForm
from portal.deadlines.ics import obligations_feed_token, obligations_feed_user, obligations_ics
from portal.deadlines.models import Obligation
from portal.deadlines.obligations import obligation_complete_by_staff, obligation_create
from portal.deadlines.selectors import DUE_SOON, obligation_counts, obligation_register

COLUMNS = {
    "due": ("due_at",),
    "kind": ("kind", "due_at"),
    "organisation": ("organisation__name", "due_at"),
    "title": ("title",),
    "received": ("received_at",),
    "status": ("status", "due_at"),
}


def _filters(request):
    form = ObligationFilterForm(request.GET or None)
    return form, valid_filters(form)


@legal_required("deadlines.view_obligation")
def obligation_list(request):
    form, filters = _filters(request)
    now = timezone.now()
    table = Table.build(
        request,
        obligation_register(filters=filters, now=now),
        columns=COLUMNS,
        default="due",
        noun=("obligation", "obligations"),
    )
    return render(
        request,
        "deadlines/staff/obligation_list.html",
        {
            "form": form,
            "table": table,
            "now": now,
            "soon": now + DUE_SOON,
            "counts": obligation_counts(now=now),
            "feed_url": settings.SITE_URL + reverse("deadlines:feed", args=[obligations_feed_token(request.user)]),
        },
    )


@legal_required("deadlines.add_obligation")
def obligation_new(request):
    form = ObligationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            obligation = obligation_create(actor=request.user, request=request, **form.cleaned_data)
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, f"Recorded; due {timezone.localtime(obligation.due_at):%d %b %Y %H:%M}.")
            return redirect("deadlines:staff_detail", public_id=obligation.public_id)
    return render(
        request, "deadlines/staff/obligation_form.html", {"form": form}, status=400 if request.method == "POST" else 200
    )


@legal_required("deadlines.view_obligation")
def obligation_detail(request, public_id):
    obligation = get_object_or_404(
        Obligation.objects.select_related("organisation", "completed_by", "created_by"), public_id=public_id
    )
    form = ObligationCompleteForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not request.user.has_perm("deadlines.complete_obligation"):
            raise Http404
        if form.is_valid():
            try:
                obligation_complete_by_staff(
                    obligation=obligation,
                    evidence=form.cleaned_data["evidence"],
                    evidence_file=form.cleaned_data.get("evidence_file"),
                    actor=request.user,
                    request=request,
                )
            except ApplicationError as exc:
                form_error(form, exc)
            else:
                messages.success(request, "Obligation completed.")
                return redirect("deadlines:staff_detail", public_id=obligation.public_id)
    notification = getattr(obligation, "breach_notification", None)
    return render(
        request,
        "deadlines/staff/obligation_detail.html",
        {
            "obligation": obligation,
            "form": form,
            "now": timezone.now(),
            "notification": notification,
            "reminders": obligation.reminders.order_by("created_at"),
        },
        status=400 if request.method == "POST" else 200,
    )


@legal_required("deadlines.view_obligation")
def obligation_evidence(request, public_id):
    obligation = get_object_or_404(Obligation, public_id=public_id)
    if not obligation.evidence_file:
        raise Http404
    events.obligation_evidence_downloaded(obligation=obligation, actor=request.user, request=request)
    return FileResponse(
        obligation.evidence_file.open("rb"),
        as_attachment=True,
        filename=(obligation.evidence_file.name or "").rsplit("/", 1)[-1],
    )


@legal_required("deadlines.view_obligation")
def obligation_export_csv(request):
    _, filters = _filters(request)
    qs = obligation_register(filters=filters)
    events.obligation_register_exported(actor=request.user, request=request)
    return csv_response("obligations.csv", CSV_HEADER, obligation_csv_rows(qs, now=timezone.now()))


def obligation_feed(request, token):
    """Calendar subscription (no session: calendar apps cannot sign in). Open obligations of the register."""
    if obligations_feed_user(token) is None:
        raise Http404
    body = obligations_ics(obligation_register(filters={"state": "open"}), site_url=settings.SITE_URL)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


@legal_required("deadlines.view_obligation")
def obligation_export_ics(request):
    _, filters = _filters(request)
    qs = obligation_register(filters=filters or {"state": "open"})
    body = obligations_ics(qs, site_url=request.build_absolute_uri("/").rstrip("/"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="obligations.ics"'
    return response
