"""Compliance report of one breach incident (PDF): every notification with its deadline, delivery time,
Message-ID and margin, the awareness time's history and the contact point the notices named."""

import datetime as dt

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from dpa.breaches.selectors import incident_awareness_changes, incident_notifications, incident_timeline
from dpa.breaches.services import breach_contact_point
from portal.evidence.signing import sign_pdf


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
