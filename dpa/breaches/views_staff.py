from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from dpa.breaches.delivery import breach_notification_resend
from dpa.breaches.filters import BreachFilter
from dpa.breaches.forms import AffectedForm, BreachEditForm, BreachIncidentCreateForm, FollowUpForm, ResendForm
from dpa.breaches.models import DELIVERED_STATES, BreachIncident, BreachNotification
from dpa.breaches.report import breach_report_prepare
from dpa.breaches.selectors import (
    INCIDENT_SORTS,
    incident_awareness_changes,
    incident_notifications,
    incident_register,
    incident_timeline,
)
from dpa.breaches.services import (
    FOLLOWUP_TARGETS,
    breach_awareness_lock,
    breach_contact_point,
    breach_followup_send,
    breach_incident_create,
    breach_incident_update,
    breach_notification_send,
    breach_notifications_send_all,
    breach_organisations_add,
)
from portal.core.errors import ApplicationError
from portal.core.forms import form_error
from portal.core.permissions import legal_required
from portal.core.tables import Table
from portal.evidence.views import prepared_file_response

COLUMNS = INCIDENT_SORTS


@legal_required("breaches.view_breachincident")
def breach_dashboard(request):
    filterset = BreachFilter(request.GET, queryset=incident_register())
    table = Table.build(request, filterset.qs, columns=COLUMNS, default="deadline", noun=("incident", "incidents"))
    return render(
        request,
        "breaches/staff/breach_dashboard.html",
        {"form": filterset.form, "table": table, "now": timezone.now()},
    )


@legal_required("breaches.add_breachincident")
def breach_new(request):
    form = BreachIncidentCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        scope = data.pop("scope")
        organisations = data.pop("organisations")
        try:
            incident = breach_incident_create(
                actor=request.user, scope=scope, organisations=organisations, request=request, **data
            )
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, f"Incident recorded; {incident.notifications.count()} notifications to send.")
            return redirect("breaches:staff_detail", public_id=incident.public_id)
    return render(
        request, "breaches/staff/breach_form.html", {"form": form}, status=400 if request.method == "POST" else 200
    )


def _detail_context(request, incident, **extra):
    notifications = list(incident_notifications(incident))
    undelivered = [n for n in notifications if n.status not in DELIVERED_STATES]
    now = timezone.now()
    resend_forms = extra.pop("resend_forms", {})
    for n in notifications:
        if n.status == BreachNotification.Status.FAILED:
            n.resend_form = resend_forms.get(n.pk) or ResendForm(  # type: ignore[attr-defined]  # read by the template
                initial={"to": n.recipient_email}, prefix=f"resend-{n.public_id}"
            )
    return {
        "incident": incident,
        "blocks": incident.blocks(),
        "notifications": notifications,
        "nearest_deadline": min((n.deadline for n in undelivered), default=None),
        "undelivered_count": len(undelivered),
        "drafted_count": sum(n.status == BreachNotification.Status.DRAFTED for n in notifications),
        "failed_count": sum(n.status == BreachNotification.Status.FAILED for n in notifications),
        "delivered_count": len(notifications) - len(undelivered),
        "followup_count": sum(n.status in FOLLOWUP_TARGETS for n in notifications),
        "awareness_changes": list(incident_awareness_changes(incident)),
        "awareness_lock": breach_awareness_lock(incident, notifications=notifications, now=now),
        "contact_point": breach_contact_point(),
        "timeline": list(incident_timeline(incident)),
        "followup_form": extra.pop("followup_form", None) or FollowUpForm(),
        "affected_form": extra.pop("affected_form", None) or AffectedForm(),
        "now": now,
        **extra,
    }


@legal_required("breaches.view_breachincident")
def breach_detail(request, public_id):
    incident = get_object_or_404(BreachIncident, public_id=public_id)
    return render(request, "breaches/staff/breach_detail.html", _detail_context(request, incident))


@legal_required("breaches.change_breachincident")
def breach_edit(request, public_id):
    incident = get_object_or_404(BreachIncident, public_id=public_id)
    form = BreachEditForm(request.POST or None, instance=incident)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("awareness_reason", "")
        try:
            breach_incident_update(
                incident=incident, actor=request.user, data=data, awareness_reason=reason, request=request
            )
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, "Incident saved.")
            return redirect("breaches:staff_detail", public_id=incident.public_id)
    return render(
        request,
        "breaches/staff/breach_form.html",
        {
            "form": form,
            "incident": incident,
            "awareness_lock": breach_awareness_lock(incident),
            "awareness_changes": list(incident_awareness_changes(incident)),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@legal_required("breaches.send_breachnotification")
def breach_send(request, public_id):
    incident = get_object_or_404(BreachIncident, public_id=public_id)
    notification_id = request.POST.get("notification")
    try:
        if notification_id:
            notification = get_object_or_404(BreachNotification, public_id=notification_id, incident=incident)
            breach_notification_send(notification=notification, actor=request.user, request=request)
            messages.success(
                request, f"Notification to {notification.organisation.name} queued; it counts once delivered."
            )
        else:
            sent = breach_notifications_send_all(incident=incident, actor=request.user, request=request)
            messages.success(request, f"{len(sent)} notifications queued; each counts once delivered.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return render(
            request, "breaches/staff/breach_detail.html", _detail_context(request, incident, send_error=exc), status=400
        )
    return redirect("breaches:staff_detail", public_id=incident.public_id)


@require_POST
@legal_required("breaches.send_breachnotification")
def breach_followup(request, public_id):
    incident = get_object_or_404(BreachIncident, public_id=public_id)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            sent = breach_followup_send(
                incident=incident, message=form.cleaned_data["message"], actor=request.user, request=request
            )
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, f"Update {sent[0].number} queued for {len(sent)} organisations.")
            return redirect("breaches:staff_detail", public_id=incident.public_id)
    return render(
        request, "breaches/staff/breach_detail.html", _detail_context(request, incident, followup_form=form), status=400
    )


@require_POST
@legal_required("breaches.send_breachnotification")
def breach_resend(request, public_id, notification_id):
    """Resend a notice whose delivery failed, as a new email, to the same or another address."""
    incident = get_object_or_404(BreachIncident, public_id=public_id)
    notification = get_object_or_404(BreachNotification, public_id=notification_id, incident=incident)
    form = ResendForm(request.POST, prefix=f"resend-{notification.public_id}")
    if form.is_valid():
        try:
            breach_notification_resend(
                notification=notification, to=form.cleaned_data["to"], actor=request.user, request=request
            )
        except ApplicationError as exc:
            form_error(form, exc)
            if exc.field is None:
                messages.error(request, exc.message)  # shown even when the notice no longer has a resend form
        else:
            messages.success(
                request,
                f"Notification to {notification.organisation.name} queued again for {form.cleaned_data['to']}.",
            )
            return redirect("breaches:staff_detail", public_id=incident.public_id)
    return render(
        request,
        "breaches/staff/breach_detail.html",
        _detail_context(request, incident, resend_forms={notification.pk: form}),
        status=400,
    )


@require_POST
@legal_required("breaches.change_breachincident")
def breach_add_organisations(request, public_id):
    incident = get_object_or_404(BreachIncident, public_id=public_id)
    form = AffectedForm(request.POST)
    if form.is_valid():
        try:
            created = breach_organisations_add(
                incident=incident,
                actor=request.user,
                scope=form.cleaned_data["scope"],
                organisations=form.cleaned_data["organisations"],
                subprocessor=form.cleaned_data["subprocessor"],
                request=request,
            )
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, f"{len(created)} organisations added.")
            return redirect("breaches:staff_detail", public_id=incident.public_id)
    return render(
        request, "breaches/staff/breach_detail.html", _detail_context(request, incident, affected_form=form), status=400
    )


@require_safe
@legal_required("breaches.view_breachincident")
def breach_report(request, public_id):
    """The evidence report of the incident as it is now, issued by a worker (1,000 notifications take WeasyPrint
    over ten seconds); until it is, a page that says so and reloads itself."""
    incident = get_object_or_404(BreachIncident, public_id=public_id)
    job = breach_report_prepare(incident=incident, actor=request.user)
    return prepared_file_response(
        request,
        job,
        filename=f"breach-report-{incident.public_id}.pdf",
        back_url=reverse("breaches:staff_detail", args=[incident.public_id]),
    )
