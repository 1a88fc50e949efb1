"""Compliance report of one breach incident (PDF): every notification with its deadline, delivery time,
Message-ID and margin, the awareness time's history and the contact point the notices named."""

import datetime as dt

from django.conf import settings
from django.db.models import Count, Max
from django.template.loader import render_to_string
from django.utils import timezone

from dpa.breaches.models import BreachFollowUp, BreachIncident
from dpa.breaches.selectors import incident_awareness_changes, incident_notifications, incident_timeline
from dpa.breaches.services import breach_contact_point
from portal.evidence.models import IssuedReport, PreparedFile
from portal.evidence.prepared import StoredFile, content_key, prepare
from portal.evidence.reports import report_issue
from portal.evidence.signing import sign_pdf

REPORT_KIND = "breach_report"
REPORT_TASK = "dpa.breaches.tasks.breach_report_task"
REPORT_PERMISSION = "breaches.view_breachincident"


def _no_fetching():
    """The report's CSS is inline: WeasyPrint may fetch nothing (no network, no local files)."""
    from weasyprint.urls import URLFetcher  # noqa: PLC0415 - WeasyPrint loads only when it is used

    class RefuseAll(URLFetcher):
        def fetch(self, url, headers=None):
            raise ValueError(f"Blocked resource: {url}")

    return RefuseAll()


def format_margin(margin: dt.timedelta | None) -> str:
    if margin is None:
        return "—"
    sign = "" if margin >= dt.timedelta(0) else "late by "
    seconds = abs(int(margin.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    return f"{sign}{hours} h {minutes:02d} min"


def breach_report_html(*, incident) -> str:
    rows = []
    for n in incident_notifications(incident):
        rows.append({"n": n, "margin": format_margin(n.margin)})
    return render_to_string(
        "breaches/reports/breach_report.html",
        {
            "incident": incident,
            "blocks": incident.blocks(),
            "rows": rows,
            "timeline": list(incident_timeline(incident)),
            "awareness_changes": list(incident_awareness_changes(incident)),
            "contact_point": breach_contact_point(),
            "generated_at": timezone.now(),
            "processor_name": settings.PORTAL_PROCESSOR_NAME,
        },
    )


def breach_report_pdf(*, incident) -> bytes:
    """The report, signed by us (a PAdES approval signature) when a signing certificate is configured."""
    from weasyprint import HTML  # noqa: PLC0415 - WeasyPrint loads only when it is used

    pdf = HTML(string=breach_report_html(incident=incident), url_fetcher=_no_fetching()).write_pdf()
    reason = f"Breach evidence report: {incident.title} ({settings.PORTAL_PROCESSOR_NAME})"
    return sign_pdf(pdf, reason=reason)


def breach_report_key(incident: BreachIncident) -> str:
    """Names the incident's state as the report shows it: the incident row, its notifications, follow-ups,
    awareness changes and timeline (audit events), and the contact point. Any change makes a new key, hence a new
    report; asking again without a change gets the report already issued. Four aggregate queries."""
    state = [
        incident.updated_at,
        incident.notifications.aggregate(n=Count("id"), at=Max("updated_at")),
        BreachFollowUp.objects.filter(notification__incident=incident).aggregate(n=Count("id"), at=Max("updated_at")),
        incident.awareness_changes.aggregate(n=Count("id"), at=Max("updated_at")),
        incident_timeline(incident).aggregate(n=Count("id"), last=Max("id")),
        breach_contact_point(),
        settings.PORTAL_PROCESSOR_NAME,
    ]
    return content_key(state, prefix=str(incident.public_id))


def breach_report_prepare(*, incident: BreachIncident, actor) -> PreparedFile:
    """The report of the incident as it is now: issued already, or being issued by a worker in `actor`'s name."""
    return prepare(
        kind=REPORT_KIND,
        key=breach_report_key(incident),
        task=REPORT_TASK,
        args=[incident.pk],
        actor=actor,
        label=f"breach report of “{incident.title}”",
        permission=REPORT_PERMISSION,
    )


def breach_report_issue(job: PreparedFile) -> StoredFile:
    """The render step: render, sign and issue the report (stored, recorded, audited once) in the name of the
    staff member who asked for it."""
    incident = BreachIncident.objects.get(pk=job.task_args[0])
    pdf = breach_report_pdf(incident=incident)
    report = report_issue(
        kind=IssuedReport.Kind.BREACH_REPORT,
        content=pdf,
        label=f"incident “{incident.title}” (ref. {incident.public_id})",
        actor=job.requested_by,
        stem=f"breach-report-{incident.public_id}",
        subject=incident,
    )
    return StoredFile.from_report(report)
