"""The sub-processor parts of the customer home (hooked in through SubprocessorsConfig.organisation_sections):
upcoming changes with their objection buttons, the organisation's objections and its webhooks."""

from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import timezone

from portal.organisations.models import Membership
from subprocessors.changes.windows import objection_window_open
from subprocessors.objections.models import OPEN_STATUSES, Objection
from subprocessors.objections.selectors import organisation_objections_with_activity, upcoming_changes_for_organisation
from subprocessors.webhooks.selectors import organisation_webhooks_with_last_delivery, webhook_is_failing

RECENT_OBJECTIONS = 20


def _change_rows(organisation, now) -> list[dict]:
    rows = []
    for change in upcoming_changes_for_organisation(organisation=organisation):
        # Prefetch(to_attr="org_objections") in the selector: an attribute the stubs cannot know of.
        objection = change.org_objections[0] if change.org_objections else None  # type: ignore[attr-defined]
        rows.append(
            {
                "change": change,
                "objection": objection,
                "window_open": objection_window_open(change.effective_date, now),
                "objection_open": objection is not None and objection.is_open,
            }
        )
    return rows


def organisation_sections(request, membership) -> list[dict]:
    organisation = membership.organisation
    is_admin = membership.role == Membership.Role.ADMIN
    now = timezone.now()
    rows = _change_rows(organisation, now)
    objections = organisation_objections_with_activity(organisation=organisation)
    counts = objections.order_by().aggregate(total=Count("id"), open=Count("id", filter=Q(status__in=OPEN_STATUSES)))
    recent = list(objections[:RECENT_OBJECTIONS])
    webhooks = list(organisation_webhooks_with_last_delivery(organisation=organisation))
    for webhook in webhooks:
        webhook.failing = webhook_is_failing(webhook)  # type: ignore[attr-defined]  # read by the template
    failing = sum(webhook.failing for webhook in webhooks)  # type: ignore[attr-defined]
    context = {
        "organisation": organisation,
        "is_admin": is_admin,
        "rows": rows,
        "objections": recent,
        "objection_total": counts["total"],
        "webhooks": webhooks,
        "failing": failing,
        "statuses": Objection.Status,
    }
    open_for_objection = organisation.is_enterprise and sum(
        row["window_open"] and not row["objection_open"] for row in rows
    )

    templates = {
        "changes": "changes/includes/home_changes.html",
        "objections": "objections/includes/home_objections.html",
        "webhooks": "webhooks/includes/home_webhooks.html",
    }

    def render(name):
        return render_to_string(templates[name], context, request=request)

    return [
        {
            "id": "changes",
            "order": 30,
            "title": "Upcoming sub-processor changes",
            "html": render("changes"),
            "summary": [
                {
                    "label": "Upcoming changes",
                    "href": "#changes",
                    "text": _plural(len(rows), "announced change")
                    + (f", {open_for_objection} open for objection" if open_for_objection else ""),
                    "attention": bool(open_for_objection),
                }
            ],
        },
        {
            "id": "objections",
            "order": 40,
            "title": "Objections",
            "html": render("objections"),
            "summary": [
                {
                    "label": "Open objections",
                    "href": "#objections",
                    "text": _plural(counts["open"], "open objection"),
                }
            ],
        },
        {
            "id": "webhooks",
            "order": 60,
            "title": "Webhooks",
            "html": render("webhooks"),
            "summary": [
                {
                    "label": "Failing webhooks",
                    "href": "#webhooks",
                    "text": f"{failing} of {_plural(len(webhooks), 'webhook')} failing"
                    if webhooks
                    else "No webhooks registered",
                    "attention": bool(failing),
                }
            ],
        },
    ]


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
