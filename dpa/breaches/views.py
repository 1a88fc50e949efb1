from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from dpa.breaches.models import BreachNotification
from dpa.breaches.selectors import organisation_breach_notifications
from dpa.breaches.services import breach_acknowledge, breach_contact_point, breach_notification_from_token
from portal.audit.services import Actor
from portal.core.errors import ApplicationError
from portal.organisations.selectors import membership_for


def breach_sections(request, membership) -> list[dict]:
    """Customer home panel (AppConfig.organisation_sections): this organisation's delivered notifications only."""
    org = membership.organisation
    notifications = list(organisation_breach_notifications(org))
    unacknowledged = sum(n.acknowledged_at is None for n in notifications)
    html = render_to_string(
        "breaches/org/breach_section.html", {"notifications": notifications, "organisation": org}, request=request
    )
    if unacknowledged:
        text = f"{unacknowledged} not yet acknowledged"
    elif notifications:
        text = f"All {len(notifications)} acknowledged"
    else:
        text = "None received"
    return [
        {
            "id": "breaches",
            "order": 50,
            "title": "Personal data breach notifications",
            "html": mark_safe(html),  # noqa: S308 - our template  # nosec
            "summary": [
                {"label": "Breach notifications", "href": "#breaches", "text": text, "attention": bool(unacknowledged)}
            ],
        }
    ]


def _org_notification(request, public_id, notification_id):
    membership = membership_for(request.user, public_id)
    notification = organisation_breach_notifications(membership.organisation).filter(public_id=notification_id).first()
    if notification is None:
        raise Http404
    return membership, notification


@login_required
def org_breach_detail(request, public_id, notification_id):
    membership, notification = _org_notification(request, public_id, notification_id)
    if request.method == "POST":
        _, changed = breach_acknowledge(
            notification=notification, via=BreachNotification.Via.PORTAL, actor=request.user, request=request
        )
        if changed:
            messages.success(request, "Thank you: receipt of the notification is acknowledged.")
        return redirect("breaches:notification_detail", public_id=public_id, notification_id=notification.public_id)
    return render(
        request,
        "breaches/org/breach_detail.html",
        {
            "organisation": membership.organisation,
            "notification": notification,
            "incident": notification.incident,
            "blocks": notification.incident.blocks(),
            "contact_point": breach_contact_point(),
            # Corrections made after notices went out (only ever earlier, with a reason) are part of the notice.
            "awareness_changes": list(notification.incident.awareness_changes.filter(after_notice=True)),
        },
    )


def breach_ack(request, token):
    """Acknowledgement from the signed link in the email: no login. GET asks, POST records (once)."""
    try:
        notification = breach_notification_from_token(token)
    except ApplicationError as exc:
        return render(request, "breaches/breach_ack.html", {"error": exc.message}, status=404)
    changed = False
    if request.method == "POST":
        label = f"{notification.recipient_email} (email link)"
        notification, changed = breach_acknowledge(
            notification=notification,
            via=BreachNotification.Via.LINK,
            actor=Actor(label=label),
            request=request,
        )
    return render(
        request,
        "breaches/breach_ack.html",
        {"notification": notification, "incident": notification.incident, "changed": changed},
    )
