import datetime as dt

from django.utils import timezone

from dpa.models import BreachIncident
from dpa.services.breaches import breach_incident_create
from portal.services.audit import Actor

FILLED = {
    "nature": "API request logs of about 1,200 end users.",
    "data": "Email addresses and IP addresses; about 40,000 records.",
    "consequences": "Risk of targeted phishing.",
    "measures": "Access revoked, keys rotated.",
}


def make_incident(*, organisations, aware_at=None, actor=None, pending=(), empty=(), **extra) -> BreachIncident:
    fields = {"title": "Log bucket exposed", "severity": BreachIncident.Severity.HIGH, **FILLED}
    for key in pending:
        fields[f"{key}_pending"] = True
        fields[key] = ""
    for key in empty:
        fields[key] = ""
    fields.update(extra)
    return breach_incident_create(
        actor=actor or Actor(label="test"),
        organisations=organisations,
        aware_at=aware_at or timezone.now() - dt.timedelta(hours=1),
        **fields,
    )
