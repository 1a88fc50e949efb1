"""What the objections app puts on the staff home: announced and held changes, notice incomplete first,
with their open objections."""

import datetime as dt

from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.urls import reverse

from portal.core.panels import plural
from subprocessors.changes.models import SubprocessorChange
from subprocessors.changes.selectors import PENDING_STATUSES, notice_gaps_for, notice_incomplete_q
from subprocessors.objections.models import Objection

ROWS = 5
GAPS_PER_CHANGE = 5
OPEN_OBJECTION = Q(objections__status__in=(Objection.Status.RECEIVED, Objection.Status.IN_CONSULTATION))


def changes_panel(now: dt.datetime) -> dict:
    incomplete = notice_incomplete_q(now)
    pending = SubprocessorChange.objects.filter(status__in=PENDING_STATUSES)
    counts = pending.aggregate(
        total=Count("id", distinct=True),
        incomplete=Count("id", filter=incomplete, distinct=True),
        held=Count("id", filter=Q(status=SubprocessorChange.Status.HELD), distinct=True),
        objected=Count("id", filter=OPEN_OBJECTION, distinct=True),
        open_objections=Count("objections", filter=OPEN_OBJECTION),
    )
    rows = list(
        pending.select_related("subprocessor", "replaces")
        .annotate(
            incomplete=Case(When(incomplete, then=Value(1)), default=Value(0), output_field=IntegerField()),
            open_objections=Count("objections", filter=OPEN_OBJECTION),
        )
        .order_by("-incomplete", "-open_objections", "effective_date", "id")[:ROWS]
    )
    gaps, gap_counts = notice_gaps_for(change_ids=[c.pk for c in rows if c.incomplete], per_change=GAPS_PER_CHANGE)
    for change in rows:
        # Display attributes the panel's template reads, set like the annotations above.
        change.notice_gaps = gaps.get(change.pk, [])  # type: ignore[attr-defined]
        change.notice_gap_count = gap_counts.get(change.pk, 0)  # type: ignore[attr-defined]
    alerts = []
    if counts["incomplete"]:
        changes = plural(counts["incomplete"], "change")
        alerts.append(f"{changes} with notice incomplete ({counts['held']} held on the effective date)")
    if counts["open_objections"]:
        alerts.append(
            f"{plural(counts['open_objections'], 'open objection')} on {plural(counts['objected'], 'change')}"
        )
    return {
        "key": "changes",
        "order": 40,
        "title": "Changes awaiting their effective date",
        "count": counts["total"],
        "alert": "; ".join(alerts),
        "url": reverse("changes:staff_list") + ("?status=held" if counts["held"] else "?status=announced"),
        "link_text": "Held changes" if counts["held"] else "Announced changes",
        "template": "changes/staff/panels/changes.html",
        "rows": rows,
        "empty": "No announced change is waiting to take effect.",
        "now": now,
    }
