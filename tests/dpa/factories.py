import datetime as dt

import factory
from django.utils import timezone

from dpa.models import AccessRequest, AutoApprovalRule, BreachIncident, NdaVersion
from dpa.services.breaches import breach_incident_create
from portal.services.audit import Actor
from tests.factories import UserFactory


class NdaVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NdaVersion
        django_get_or_create = ("version",)

    version = "2026-01"
    body = "The recipient keeps the documents confidential and uses them only to assess the processor."
    published_at = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


class AccessRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccessRequest

    user = factory.SubFactory(UserFactory)
    company = "Acme Health B.V."
    job_role = "Privacy officer"
    reason = "Vendor assessment"
    submitted_at = factory.LazyFunction(timezone.now)
    due_at = factory.LazyAttribute(lambda o: o.submitted_at + dt.timedelta(days=2))
    chase_after = factory.LazyAttribute(lambda o: o.submitted_at + dt.timedelta(days=3))
    nda_version = factory.SubFactory(NdaVersionFactory)
    nda_accepted_at = factory.LazyAttribute(lambda o: o.submitted_at)
    nda_ip = "203.0.113.9"
    nda_user_agent = "pytest"


def grant(user, level="approved", *, days=365, organisation=None):
    """An approved grant for `user`, as if decided a moment ago."""
    now = timezone.now()
    return AccessRequestFactory(
        user=user,
        organisation=organisation,
        status=AccessRequest.Status.APPROVED,
        level=level,
        decided_at=now,
        expires_at=now + dt.timedelta(days=days),
    )


class AutoApprovalRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AutoApprovalRule

    domain = "acme-health.example"
    level = "approved"


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
