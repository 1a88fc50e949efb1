"""Trust-portal access: the NDA text, access requests (which become the user's grant when approved),
auto-approval rules and protected documents."""

import uuid

from django.conf import settings
from django.db import models

from portal.core.models import BaseModel


class AccessLevel(models.TextChoices):
    """What a document needs. `enterprise` = approved access *and* membership of an enterprise organisation."""

    PUBLIC = "public", "Public"
    APPROVED = "approved", "Approved access"
    NDA = "nda", "Approved access under NDA"
    ENTERPRISE = "enterprise", "Enterprise customers"


class GrantLevel(models.TextChoices):
    """What an approval grants."""

    APPROVED = "approved", "Approved"
    NDA = "nda", "NDA"


class NdaVersion(BaseModel):
    """A click-through NDA text. The newest published one is what requesters accept; texts never change."""

    version = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=200, default="Non-disclosure agreement")
    body = models.TextField()
    published_at = models.DateTimeField(db_index=True)

    class Meta(BaseModel.Meta):
        ordering = ("-published_at",)

    def __str__(self):
        return f"NDA {self.version}"


class AccessRequest(BaseModel):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        DENIED = "denied", "Denied"
        EXPIRED = "expired", "Expired"
        REVOKED = "revoked", "Revoked"
        SUPERSEDED = "superseded", "Replaced by a newer approval"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_requests")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.SET_NULL, null=True, blank=True, related_name="access_requests"
    )
    company = models.CharField(max_length=200)
    job_role = models.CharField("role", max_length=120)
    reason = models.TextField(max_length=2000)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True)
    submitted_at = models.DateTimeField(db_index=True)
    due_at = models.DateTimeField(help_text="End of the second business day after submission.")
    chase_after = models.DateTimeField(help_text="Start of the third business day after submission.")
    # The click-through NDA as accepted.
    nda_version = models.ForeignKey(NdaVersion, on_delete=models.PROTECT, related_name="acceptances")
    nda_accepted_at = models.DateTimeField()
    nda_ip = models.GenericIPAddressField(null=True, blank=True)
    nda_user_agent = models.CharField(max_length=500, blank=True)
    control_characters_allowed = ("nda_user_agent",)  # the header as sent
    # The decision.
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    auto_rule = models.ForeignKey(
        "trust.AutoApprovalRule", on_delete=models.SET_NULL, null=True, blank=True, related_name="approvals"
    )
    level = models.CharField(max_length=10, choices=GrantLevel.choices, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    decision_note = models.TextField(blank=True)
    denial_reason = models.TextField(blank=True)
    # Follow-up bookkeeping: each is set once, so beat tasks act once.
    escalated_at = models.DateTimeField(null=True, blank=True)
    digest_sent_at = models.DateTimeField(null=True, blank=True)
    expiry_warning_sent_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    end_reason = models.TextField(blank=True)

    class Meta(BaseModel.Meta):
        ordering = ("submitted_at", "id")
        constraints = [
            models.UniqueConstraint(
                fields=("user",), condition=models.Q(status="pending"), name="one_pending_access_request_per_user"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="approved") | (~models.Q(level="") & models.Q(expires_at__isnull=False)),
                name="approved_access_has_level_and_expiry",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="denied") | ~models.Q(denial_reason=""),
                name="denied_access_has_reason",
            ),
        ]
        indexes = [models.Index(fields=("status", "expires_at")), models.Index(fields=("status", "due_at"))]
        permissions = [("decide_accessrequest", "Can approve, deny and revoke trust-portal access")]

    def __str__(self):
        return f"Access request {self.public_id} by {self.user} ({self.status})"

    @property
    def reference(self) -> str:
        return f"AR-{str(self.public_id)[:8].upper()}"


class AutoApprovalRule(BaseModel):
    """Requests from this exact email domain (an enterprise organisation's) are approved at once."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="auto_rules")
    domain = models.CharField(max_length=253, unique=True)
    level = models.CharField(max_length=10, choices=GrantLevel.choices, default=GrantLevel.APPROVED)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta(BaseModel.Meta):
        ordering = ("domain",)

    def __str__(self):
        return f"{self.domain} → {self.get_level_display()}"


class TrustDocument(BaseModel):
    class Category(models.TextChoices):
        DPA = "dpa", "Data Processing Agreement"
        SECURITY_POLICY = "security_policy", "Security policy"
        SCCS = "sccs", "Standard Contractual Clauses"
        TOMS = "toms", "Technical and organisational measures"
        CERTIFICATE = "certificate", "Certificate"
        PENTEST = "pentest", "Penetration-test summary"
        OTHER = "other", "Other"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=20, choices=Category.choices)
    access_level = models.CharField(max_length=12, choices=AccessLevel.choices, default=AccessLevel.APPROVED)
    current_version = models.ForeignKey(
        "trust.TrustDocumentVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta(BaseModel.Meta):
        ordering = ("category", "title")

    def __str__(self):
        return self.title


def _document_path(instance, filename):
    return f"trust-documents/{instance.document.public_id}/{uuid.uuid4().hex}.pdf"


class TrustDocumentVersion(BaseModel):
    """One uploaded file of a document. Replacing a document adds a version; old ones are kept."""

    document = models.ForeignKey(TrustDocument, on_delete=models.CASCADE, related_name="versions")
    version = models.CharField(max_length=40)
    file = models.FileField(upload_to=_document_path, max_length=300)
    filename = models.CharField(max_length=200, help_text="Sanitised name offered on download.")
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    published_on = models.DateField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta(BaseModel.Meta):
        ordering = ("-created_at", "-id")
        constraints = [models.UniqueConstraint(fields=("document", "version"), name="uniq_trust_document_version")]

    def __str__(self):
        return f"{self.document.title} v{self.version}"
