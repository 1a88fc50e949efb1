from django.conf import settings
from django.contrib import messages
from django.db.models import Count, F
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from portal.core.errors import ApplicationError
from portal.core.permissions import legal_required
from portal.core.redirects import safe_next
from portal.core.tables import OrderTerm, Table, valid_filters
from portal.delivery.chat import chat_alert_retry
from portal.delivery.forms import ChatAlertFilterForm, OutboxFilterForm
from portal.delivery.models import ChatAlert, OutboundEmail
from portal.delivery.outbox import outbox_retry
from portal.delivery.selectors import chat_alerts, outbox_emails

OUTBOX_COLUMNS: dict[str, tuple[OrderTerm, ...]] = {
    "created": ("created_at",),
    "to": ("to_email",),
    "status": ("status",),
    "attempts": ("attempts",),
    "sent": (F("sent_at"),),
}


def failed_emails_panel() -> dict:
    failed = OutboundEmail.objects.filter(status=OutboundEmail.Status.FAILED)
    return {
        "key": "failed-emails",
        "order": 60,
        "title": "Failed emails",
        "count": failed.count(),
        "alert": "",
        "url": reverse("delivery:staff_outbox") + "?status=failed",
        "link_text": "Email outbox",
        "template": "delivery/staff/panels/failed_emails.html",
        "rows": list(failed.select_related("organisation").order_by("-updated_at", "-id")[:5]),
        "empty": "Every email was delivered or is still being retried.",
    }


def failed_chat_alerts_panel() -> dict:
    failed = ChatAlert.objects.filter(status=ChatAlert.Status.FAILED)
    return {
        "key": "failed-chat-alerts",
        "order": 61,
        "title": "Failed chat alerts",
        "count": failed.count(),
        "alert": "",
        "url": reverse("delivery:staff_chat_alerts") + "?status=failed",
        "link_text": "Chat alerts",
        "template": "delivery/staff/panels/failed_chat_alerts.html",
        "rows": list(failed.order_by("-updated_at", "-id")[:5]),
        "empty": "Every staff chat alert was posted or is still being retried.",
    }


@legal_required("delivery.view_outboundemail")
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
    return render(request, "delivery/staff/outbox_list.html", {"form": form, "table": table, "counts": counts})


@legal_required("delivery.retry_outboundemail")
@require_POST
def outbox_retry_view(request, pk):
    email = get_object_or_404(OutboundEmail, pk=pk)
    try:
        outbox_retry(email=email, actor=request.user, request=request)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Email to {email.to_email} queued again.")
    return redirect(safe_next(request, "delivery:staff_outbox"))


CHAT_COLUMNS: dict[str, tuple[OrderTerm, ...]] = {
    "created": ("created_at",),
    "kind": ("kind",),
    "status": ("status",),
    "attempts": ("attempts",),
    "sent": (F("sent_at"),),
}


@legal_required("delivery.view_chatalert")
def chat_alert_list(request):
    form = ChatAlertFilterForm(request.GET or None)
    counts = dict(ChatAlert.objects.values_list("status").order_by().annotate(n=Count("id")))
    table = Table.build(
        request,
        chat_alerts(filters=valid_filters(form)),
        columns=CHAT_COLUMNS,
        default="-created",
        noun=("chat alert", "chat alerts"),
    )
    return render(
        request,
        "delivery/staff/chat_alert_list.html",
        {"form": form, "table": table, "counts": counts, "configured": bool(settings.STAFF_CHAT_WEBHOOK_URL)},
    )


@legal_required("delivery.retry_chatalert")
@require_POST
def chat_alert_retry_view(request, pk):
    alert = get_object_or_404(ChatAlert, pk=pk)
    try:
        chat_alert_retry(alert=alert, actor=request.user, request=request)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Chat alert queued again.")
    return redirect(safe_next(request, "delivery:staff_chat_alerts"))
