import uuid

from django.conf import settings
from django.db import models

from portal.core.models import BaseModel

OPEN_STATUSES = ("received", "in_consultation")


class Objection(BaseModel):
    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        IN_CONSULTATION = "in_consultation", "In consultation"
        WITHDRAWN = "withdrawn", "Withdrawn"
        ACCOMMODATED = "accommodated", "Accommodated"
        UNRESOLVED = "unresolved", "Unresolved — termination right"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    change = models.ForeignKey("changes.SubprocessorChange", on_delete=models.PROTECT, related_name="objections")
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="objections")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    grounds = models.TextField(help_text="The data-protection grounds of the objection.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    outcome_note = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    termination_confirmed_at = models.DateTimeField(null=True, blank=True)
    termination_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta(BaseModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=("change", "organisation"),
                condition=models.Q(status__in=OPEN_STATUSES),
                name="uniq_open_objection_per_org_change",
            ),
            models.CheckConstraint(
                condition=models.Q(termination_confirmed_at__isnull=True) | models.Q(status="unresolved"),
                name="objection_termination_only_unresolved",
            ),
        ]
        permissions = [("decide_objection", "Can consult on and decide objections")]

    def __str__(self):
        return f"Objection of {self.organisation} to {self.change}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ObjectionMessage(BaseModel):
    objection = models.ForeignKey(Objection, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_staff = models.BooleanField(default=False)
    body = models.TextField()

    class Meta(BaseModel.Meta):
        ordering = ("created_at", "id")

    def __str__(self):
        return f"Message on {self.objection_id} by {'legal' if self.from_staff else 'customer'}"
