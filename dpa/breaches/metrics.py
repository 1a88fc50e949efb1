"""Gauges of legal deadlines in this app: breach notifications not yet delivered, obligations overdue."""

from django.db.models import Count
from django.utils import timezone

from dpa.breaches.models import DELIVERED_STATES, BreachNotification
from portal.core.metrics import gauges
from portal.deadlines.models import Obligation


@gauges
def breach_and_obligation_gauges():
    now = timezone.now()
    unsent = BreachNotification.objects.exclude(status__in=DELIVERED_STATES)
    counts = dict.fromkeys(("drafted", "queued", "failed"), 0)
    counts.update(unsent.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    for status, count in counts.items():
        yield (
            "portal_breach_notifications_unsent",
            "Breach notifications not yet delivered to the customer, by state",
            count,
            {"status": status},
        )
    nearest = unsent.order_by("deadline").values_list("deadline", flat=True).first()
    if nearest is not None:
        yield (
            "portal_breach_notification_deadline_minutes",
            "Minutes to the deadline of the nearest undelivered breach notification (negative when overdue)",
            (nearest - now).total_seconds() / 60,
            {},
        )
    open_obligations = Obligation.objects.filter(status=Obligation.Status.OPEN)
    yield (
        "portal_obligations_overdue",
        "Open obligations towards customers past their due time",
        open_obligations.filter(due_at__lt=now).count(),
        {},
    )
    due = open_obligations.order_by("due_at").values_list("due_at", flat=True).first()
    if due is not None:
        yield (
            "portal_obligation_due_minutes",
            "Minutes to the due time of the nearest open obligation (negative when overdue)",
            (due - now).total_seconds() / 60,
            {},
        )
