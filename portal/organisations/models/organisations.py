import uuid

from django.conf import settings
from django.db import models

from portal.core.models import BaseModel


class Organisation(BaseModel):
    class Tier(models.TextChoices):
        SELF_SERVE = "self_serve", "Self-serve"
        ENTERPRISE = "enterprise", "Enterprise"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    tier = models.CharField(max_length=20, choices=Tier.choices, default=Tier.SELF_SERVE)
    email_domain = models.CharField(
        max_length=253,
        blank=True,
        help_text="Company email domain, e.g. example.com (used for trust-portal auto-approval).",
    )
    privacy_contact_email = models.EmailField(
        "privacy-notice contact", blank=True, help_text="Receives sub-processor change notices."
    )
    breach_contact_name = models.CharField(max_length=200, blank=True)
    breach_contact_email = models.EmailField(blank=True)
    breach_contact_phone = models.CharField(max_length=40, blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="organisations")

    class Meta(BaseModel.Meta):
        ordering = ("name",)

    def __str__(self):
        return self.name

    @property
    def is_enterprise(self) -> bool:
        return self.tier == self.Tier.ENTERPRISE


class Membership(BaseModel):
    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)

    class Meta(BaseModel.Meta):
        ordering = ("organisation__name", "user__email")
        constraints = [models.UniqueConstraint(fields=("user", "organisation"), name="uniq_membership")]

    def __str__(self):
        return f"{self.user} in {self.organisation} ({self.role})"


class Invitation(BaseModel):
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Membership.Role.choices, default=Membership.Role.MEMBER)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta(BaseModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=("organisation", "email"),
                condition=models.Q(accepted_at__isnull=True),
                name="uniq_open_invitation",
            )
        ]

    def __str__(self):
        return f"Invitation of {self.email} to {self.organisation}"
