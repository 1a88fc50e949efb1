import uuid

from django.db import models
from django.utils import timezone
from knox.models import AbstractAuthToken


class ApiToken(AbstractAuthToken):
    """A personal API token (django-rest-knox): only a SHA-512 digest and the first characters are stored.

    `staff` tokens reach staff API operations; they are minted only from a login that passed MFA and live at most
    30 days. `password_fingerprint` ties the token to the password it was minted under: a changed password (by
    any route, admin and shell included) makes it fail."""

    class Scope(models.TextChoices):
        READ = "read", "Read only"
        WRITE = "write", "Read and write"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=100)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.READ)
    staff = models.BooleanField(default=False, help_text="Minted from an MFA session; reaches staff operations.")
    password_fingerprint = models.CharField(max_length=64, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ("-created",)
        verbose_name = "API token"
        constraints = [
            models.CheckConstraint(condition=models.Q(expiry__isnull=False), name="apitoken_expires"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def prefix(self) -> str:
        """The first characters of the key, enough for its owner to recognise it; never the secret."""
        return self.token_key[:8]

    @property
    def expired(self) -> bool:
        return self.expiry is not None and self.expiry <= timezone.now()
