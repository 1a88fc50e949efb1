from django.db.models import QuerySet

from portal.delivery.models import ChatAlert, OutboundEmail


def outbox_emails(*, filters: dict) -> QuerySet[OutboundEmail]:
    qs = OutboundEmail.objects.order_by("-id").only(
        "id",
        "to_email",
        "subject",
        "status",
        "attempts",
        "last_error",
        "template",
        "created_at",
        "sent_at",
        "updated_at",
    )
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("to"):
        qs = qs.filter(to_email__icontains=filters["to"])
    if filters.get("template"):
        qs = qs.filter(template__icontains=filters["template"])
    if filters.get("since"):
        qs = qs.filter(created_at__date__gte=filters["since"])
    if filters.get("until"):
        qs = qs.filter(created_at__date__lte=filters["until"])
    return qs


def chat_alerts(*, filters: dict) -> QuerySet[ChatAlert]:
    qs = ChatAlert.objects.order_by("-id")
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    return qs
