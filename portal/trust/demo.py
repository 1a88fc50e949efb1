"""Demo data for trust-portal access (idempotent): an NDA, documents at every level, a domain rule for the
enterprise customer, an approved grant for Ben and a pending request from Sam."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from portal.organisations.demo import ENTERPRISE_MEMBER, LEGAL_EMAIL, SELF_SERVE_ADMIN
from portal.organisations.models import Organisation
from portal.trust.documents import document_create
from portal.trust.models import AccessRequest, AutoApprovalRule, NdaVersion, TrustDocument
from portal.trust.services import access_deadlines, default_expiry
from portal.trust.stamping import sample_pdf

NDA_TEXT = """This click-through agreement covers the documents you open on this portal.

1. You use the documents only to assess our services for your company.
2. You do not pass them on outside your company, except to your advisers under a duty of confidence.
3. Downloads of NDA-level documents carry your email address and the date on every page.
4. This agreement lasts for three years from your last download."""

DOCUMENTS = [
    ("Information security policy (summary)", "security_policy", "public", "Our security programme in brief."),
    ("Data Processing Agreement", "dpa", "approved", "The current DPA, for information."),
    ("Technical and organisational measures", "toms", "approved", "Annex 2 measures in detail."),
    ("Standard Contractual Clauses (module 3)", "sccs", "approved", "Processor-to-processor transfers."),
    ("Penetration test summary 2026", "pentest", "nda", "Findings and remediation status."),
    ("ISO 27001 certificate", "certificate", "enterprise", "Certificate and statement of applicability."),
]


def load_access_demo() -> None:
    User = get_user_model()
    legal = User.objects.get(email=LEGAL_EMAIL)
    nda, _ = NdaVersion.objects.get_or_create(
        version="2026-01", defaults={"body": NDA_TEXT, "published_at": timezone.now() - dt.timedelta(days=60)}
    )
    for title, category, level, description in DOCUMENTS:
        if TrustDocument.objects.filter(title=title).exists():
            continue
        pdf = sample_pdf([title, "Demo document of the trust portal.", description], pages=2)
        document_create(
            title=title,
            description=description,
            category=category,
            access_level=level,
            upload=SimpleUploadedFile(f"{title}.pdf", pdf, content_type="application/pdf"),
            version="1.0",
            actor=legal,
        )
    acme = Organisation.objects.filter(email_domain="acme-health.example").first()
    if acme and not AutoApprovalRule.objects.filter(domain="acme-health.example").exists():
        AutoApprovalRule.objects.create(organisation=acme, domain="acme-health.example", level="approved")
    now = timezone.now()
    ben = User.objects.get(email=ENTERPRISE_MEMBER)
    if not AccessRequest.objects.filter(user=ben).exists():
        due, chase = access_deadlines(now - dt.timedelta(days=3))
        AccessRequest.objects.create(
            user=ben,
            organisation=acme,
            company="Acme Health B.V.",
            job_role="Data protection officer",
            reason="Annual vendor review",
            submitted_at=now - dt.timedelta(days=3),
            due_at=due,
            chase_after=chase,
            nda_version=nda,
            nda_accepted_at=now - dt.timedelta(days=3),
            nda_ip="198.51.100.7",
            nda_user_agent="Demo browser",
            status=AccessRequest.Status.APPROVED,
            level="nda",
            decided_at=now - dt.timedelta(days=2),
            decided_by=legal,
            expires_at=default_expiry(now - dt.timedelta(days=2)),
            decision_note="Demo grant",
        )
    sam = User.objects.get(email=SELF_SERVE_ADMIN)
    if not AccessRequest.objects.filter(user=sam).exists():
        submitted = now - dt.timedelta(days=4)
        due, chase = access_deadlines(submitted)
        AccessRequest.objects.create(
            user=sam,
            organisation=Organisation.objects.filter(name="TinyApps").first(),
            company="TinyApps",
            job_role="Founder",
            reason="A customer asked for our processor's DPA.",
            submitted_at=submitted,
            due_at=due,
            chase_after=chase,
            nda_version=nda,
            nda_accepted_at=submitted,
            nda_ip="198.51.100.8",
            nda_user_agent="Demo browser",
        )
