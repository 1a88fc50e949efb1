import datetime as dt

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
from portal.deadlines.forms import ObligationCompleteForm, ObligationFilterForm, ObligationForm
from portal.deadlines.ics import obligations_feed_token, obligations_feed_user, obligations_ics
from portal.deadlines.models import Obligation
from portal.deadlines.obligations import obligation_complete, obligation_create
from portal.deadlines.selectors import DUE_SOON, obligation_counts, obligation_register

BREACH_COMPLETES_WHEN_DELIVERED = (
    "A breach notification completes when its email is delivered: send it from its incident."
)


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
        if obligation.kind == Obligation.Kind.BREACH_NOTIFICATION:
            form.add_error(None, BREACH_COMPLETES_WHEN_DELIVERED)
        elif form.is_valid():
            try:
                obligation_complete(
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


def _utc(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ") if value else ""


@legal_required("deadlines.view_obligation")
def obligation_export_csv(request):
    _, filters = _filters(request)
    qs = obligation_register(filters=filters)
    now = timezone.now()
    events.obligation_register_exported(actor=request.user, request=request)

    def rows():
        for o in qs.iterator(chunk_size=500):
            state = o.status
            if o.status == Obligation.Status.OPEN and o.due_at < now:
                state = "overdue"
            on_time = "" if o.completed_at is None else ("yes" if o.completed_at <= o.due_at else "no")
            yield [
                o.public_id,
                o.get_kind_display(),
                o.organisation.name,
                o.title,
                o.source,
                _utc(o.received_at),
                _utc(o.due_at),
                state,
                _utc(o.completed_at),
                on_time,
                o.completed_by.email if o.completed_by else "",
                o.evidence,
            ]

    return csv_response(
        "obligations.csv",
        [
            "id",
            "kind",
            "organisation",
            "title",
            "source",
            "received_at_utc",
            "due_at_utc",
            "status",
            "completed_at_utc",
            "on_time",
            "completed_by",
            "evidence",
        ],
        rows(),
    )


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
