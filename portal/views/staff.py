import csv

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from portal.calendar import add_business_days, calendar_days, local_date
from portal.errors import ApplicationError
from portal.filters import OrganisationFilter
from portal.forms import AuditFilterForm, CalendarOverrideForm, OutboxFilterForm, TierForm
from portal.models import CalendarOverride, IssuedReport, Organisation, OutboundEmail
from portal.permissions import legal_required
from portal.selectors import audit_events, organisation_members, outbox_emails, staff_organisations
from portal.services.audit import audit_record
from portal.services.audit_checkpoints import audit_checkpoint_latest, audit_checkpoint_write
from portal.services.calendar import calendar_override_add, calendar_override_remove
from portal.services.organisations import organisation_update
from portal.services.outbox import outbox_retry
from portal.services.reports import KIND_PERMISSIONS, issued_report_content
from portal.tables import Table, valid_filters

AUDIT_COLUMNS = {"time": ("id",), "actor": ("actor_label",), "action": ("action",), "target": ("target_type",)}
OUTBOX_COLUMNS = {
    "created": ("created_at",),
    "to": ("to_email",),
    "status": ("status",),
    "attempts": ("attempts",),
    "sent": (F("sent_at"),),
}
CALENDAR_COLUMNS = {"date": ("date",), "kind": ("kind", "date")}
ORGANISATION_COLUMNS = {"name": ("name",), "tier": ("tier", "name"), "members": ("member_count", "name")}


def safe_next(request, default: str) -> str:
    """The `next` field of a staff form if it points back into this site, else the named default page."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse(default)


def failed_emails_panel() -> dict:
    failed = OutboundEmail.objects.filter(status=OutboundEmail.Status.FAILED)
    return {
        "key": "failed-emails",
        "order": 60,
        "title": "Failed emails",
        "count": failed.count(),
        "alert": "",
        "url": reverse("staff_outbox") + "?status=failed",
        "link_text": "Email outbox",
        "template": "portal/staff/panels/failed_emails.html",
        "rows": list(failed.select_related("organisation").order_by("-updated_at", "-id")[:5]),
        "empty": "Every email was delivered or is still being retried.",
    }


@legal_required()
def staff_home(request):
    """What needs a decision: each app adds panels (AppConfig.staff_panels), most urgent first."""
    from django.apps import apps

    panels = [failed_emails_panel()]
    for config in apps.get_app_configs():
        hook = getattr(config, "staff_panels", None)
        if hook:
            panels.extend(hook(request))
    panels.sort(key=lambda panel: panel["order"])
    return render(
        request,
        "portal/staff/home.html",
        {"panels": panels, "attention": sum(1 for p in panels if p["count"]), "now": timezone.now()},
    )


@legal_required("portal.view_auditevent")
def audit_list(request):
    form = AuditFilterForm(request.GET or None)
    table = Table.build(
        request,
        audit_events(filters=valid_filters(form)),
        columns=AUDIT_COLUMNS,
        default="-time",
        noun=("event", "events"),
    )
    return render(
        request,
        "portal/staff/audit_list.html",
        {"form": form, "table": table, "checkpoint": audit_checkpoint_latest()},
    )


@legal_required("portal.view_auditevent")
@require_POST
def audit_checkpoint(request):
    """Seal the log as it is now: a signed checkpoint outside the database, emailed to the legal lead."""
    try:
        checkpoint = audit_checkpoint_write(trigger="staff", actor=request.user, request=request)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    except OSError:
        messages.error(request, "The checkpoint could not be stored: the checkpoint storage is not writable.")
    else:
        messages.success(
            request,
            f"Checkpoint written: {checkpoint.data['row_count']} rows, emailed to {settings.PORTAL_LEGAL_LEAD_EMAIL}.",
        )
    return redirect("staff_audit")


class _Echo:
    def write(self, value):
        return value


def csv_safe(value) -> str:
    """Neutralise spreadsheet formula injection (=, +, -, @, tab, CR at the start of a cell)."""
    text = "" if value is None else str(value)
    if text and text[0] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def csv_response(filename: str, header: list[str], rows) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def stream():
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([csv_safe(v) for v in row])

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def issued_report_response(report, content: bytes, filename: str) -> HttpResponse:
    """An issued evidence PDF as a download, with the SHA-256 it was recorded under."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Report-SHA256"] = report.sha256
    return response


@legal_required()
def issued_report_download(request, public_id):
    """An issued report again, exactly as issued (the stored bytes, checked against the recorded SHA-256)."""
    report = get_object_or_404(IssuedReport, public_id=public_id)
    if not request.user.has_perm(KIND_PERMISSIONS[report.kind]):
        raise PermissionDenied("You may not open this kind of report.")
    content = issued_report_content(report=report, actor=request.user, request=request)
    return issued_report_response(report, content, f"{report.kind.replace('_', '-')}-{report.public_id}.pdf")


@legal_required("portal.export_auditevent")
def audit_export(request):
    form = AuditFilterForm(request.GET or None)
    qs = audit_events(filters=valid_filters(form)).order_by("id")
    audit_record(action="audit.exported", actor=request.user, request=request, details={"filters": request.GET.dict()})
    rows = (
        (
            e.id,
            e.created_at.isoformat(),
            e.actor_label,
            e.action,
            e.target_type,
            e.target_id,
            e.organisation_id or "",
            e.ip or "",
            e.details,
            e.hash,
        )
        for e in qs.iterator(chunk_size=2000)
    )
    header = [
        "id",
        "time_utc",
        "actor",
        "action",
        "target_type",
        "target_id",
        "organisation_id",
        "ip",
        "details",
        "sha256",
    ]
    return csv_response("audit-log.csv", header, rows)


@legal_required("portal.view_outboundemail")
def outbox_list(request):
    form = OutboxFilterForm(request.GET or None)
    counts = dict(OutboundEmail.objects.values_list("status").order_by().annotate(n=Count("id")))
    table = Table.build(
        request,
        outbox_emails(filters=valid_filters(form)),
        columns=OUTBOX_COLUMNS,
        default="-created",
        noun=("email", "emails"),
    )
    return render(request, "portal/staff/outbox_list.html", {"form": form, "table": table, "counts": counts})


@legal_required("portal.retry_outboundemail")
@require_POST
def outbox_retry_view(request, pk):
    email = get_object_or_404(OutboundEmail, pk=pk)
    try:
        outbox_retry(email=email, actor=request.user, request=request)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Email to {email.to_email} queued again.")
    return redirect(safe_next(request, "staff_outbox"))


@legal_required("portal.view_organisation")
def organisation_list(request):
    filterset = OrganisationFilter(request.GET or None, queryset=staff_organisations())
    table = Table.build(
        request, filterset.qs, columns=ORGANISATION_COLUMNS, default="name", noun=("organisation", "organisations")
    )
    return render(request, "portal/staff/organisation_list.html", {"form": filterset.form, "table": table})


@legal_required("portal.change_organisation")
def organisation_edit(request, public_id):
    org = get_object_or_404(Organisation, public_id=public_id)
    form = TierForm(request.POST or None, instance=org)
    if request.method == "POST" and form.is_valid():
        organisation_update(organisation=org, actor=request.user, data=form.cleaned_data, request=request)
        messages.success(request, f"{org.name} saved.")
        return redirect("staff_organisations")
    if request.method == "POST":
        org.refresh_from_db()
    return render(
        request,
        "portal/staff/organisation_edit.html",
        {"organisation": org, "form": form, "members": organisation_members(org)},
        status=400 if request.method == "POST" else 200,
    )


@legal_required("portal.change_calendaroverride")
def calendar_overrides(request):
    form = CalendarOverrideForm(request.POST or None)
    if request.method == "POST":
        if "delete" in request.POST:
            pk = request.POST["delete"]
            override = get_object_or_404(CalendarOverride, pk=pk if pk.isdigit() else None)
            calendar_override_remove(override=override, actor=request.user, request=request)
            messages.success(request, f"Override for {override.when} removed.")
            return redirect("staff_calendar")
        if form.is_valid():
            override = calendar_override_add(actor=request.user, request=request, **form.cleaned_data)
            messages.success(request, f"{override} saved.")
            return redirect("staff_calendar")
    today = local_date(timezone.now())
    until = today + relativedelta(years=1, days=-1)
    days = calendar_days(today, until)
    return render(
        request,
        "portal/staff/calendar.html",
        {
            "form": form,
            "table": Table.build(
                request,
                CalendarOverride.objects.filter(recurrence=CalendarOverride.Recurrence.ONCE),
                columns=CALENDAR_COLUMNS,
                default="date",
                noun=("override", "overrides"),
            ),
            "yearly": CalendarOverride.objects.filter(recurrence=CalendarOverride.Recurrence.YEARLY).order_by(
                "month", "day"
            ),
            "today": today,
            "until": until,
            "closed_days": [d for d in days if not d.business_day],
            "reopened_days": [d for d in days if d.business_day],
            "termijnenwet": settings.PORTAL_CALENDAR_ALGEMENE_TERMIJNENWET,
            "country": settings.PORTAL_HOLIDAY_COUNTRY,
            "examples": [(n, add_business_days(today, n)) for n in (2, 3, 5, 10)],
        },
        status=400 if request.method == "POST" else 200,
    )
