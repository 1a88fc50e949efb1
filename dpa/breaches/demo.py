"""Demo breach incident and obligations (idempotent)."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from dpa.breaches.models import BreachIncident
from dpa.breaches.services import breach_incident_create, breach_notification_send
from portal.audit.services import Actor
from portal.deadlines.models import Obligation
from portal.deadlines.obligations import obligation_create
from portal.organisations.models import Organisation

DEMO_TITLE = "Demo: misconfigured log bucket exposed request metadata"


def load_demo() -> None:
    orgs = list(Organisation.objects.order_by("name"))
    if not orgs or BreachIncident.objects.filter(title=DEMO_TITLE).exists():
        return
    actor = get_user_model().objects.filter(email="legal@portal.example").first() or Actor(label="demo")
    now = timezone.now()
    incident = breach_incident_create(
        actor=actor,
        organisations=orgs,
        title=DEMO_TITLE,
        aware_at=now - dt.timedelta(hours=30),
        detected_by="Security monitoring",
        description="A storage bucket holding request logs was publicly listable for six hours.",
        severity=BreachIncident.Severity.HIGH,
        nature="Request metadata of API users; approximately 1,200 data subjects.",
        data="IP addresses and account email addresses; approximately 40,000 log lines.",
        consequences="",
        consequences_pending=True,
        measures="Bucket made private; access logs under review.",
    )
    # Acme's notice is queued and, once the outbox delivers it, Acme is notified (its members see it on their
    # organisation page); the others are still to send.
    acme = incident.notifications.filter(organisation__name="Acme Health B.V.").first()
    if acme is not None:
        breach_notification_send(notification=acme, actor=actor)
    obligation_create(
        kind=Obligation.Kind.DATA_SUBJECT_REQUEST,
        organisation=orgs[0],
        received_at=now - dt.timedelta(days=2),
        actor=actor,
        source="demo:dsr",
        title="Access request from a data subject received at support@",
    )
