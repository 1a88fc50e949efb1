import datetime as dt

# --- fixtures shared by the app test folders ---
import factory

# --- fixtures shared by the app test folders ---
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from portal.trust.models import AccessRequest, AutoApprovalRule, NdaVersion
from portal.trust.stamping import sample_pdf
from tests.organisations.factories import UserFactory

FILLED = {
    "nature": "API request logs of about 1,200 end users.",
    "data": "Email addresses and IP addresses; about 40,000 records.",
    "consequences": "Risk of targeted phishing.",
    "measures": "Access revoked, keys rotated.",
}


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


def pdf_upload(name="Policy.pdf", lines=("Security policy",), pages=2):
    return SimpleUploadedFile(name, sample_pdf(list(lines), pages=pages), content_type="application/pdf")
