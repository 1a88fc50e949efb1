import uuid

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q

from portal.audit.triggers import Refuse, RefuseTruncate
from portal.core.errors import ApplicationError
from portal.core.models import BaseModel

EXECUTED_IMMUTABLE = "An executed DPA and its file cannot be changed."
EXECUTED_HINT = "Request a new execution of the DPA instead; the executed one remains the evidence."


class DpaExecutionQuerySet(models.QuerySet):
    """Bulk operations bypass save() and delete(): they refuse to touch an executed row, as those do. Moving rows
    into `executed` stays possible (the rows are not executed yet)."""

    def _refuse_if_executed(self, rows) -> None:
        if rows.filter(status=DpaExecution.Status.EXECUTED).exists():
            raise ApplicationError(f"{EXECUTED_IMMUTABLE} {EXECUTED_HINT}")

    def update(self, **kwargs):
        self._refuse_if_executed(self)
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        self._refuse_if_executed(self.model._default_manager.filter(pk__in=[obj.pk for obj in objs]))
        return super().bulk_update(objs, fields, *args, **kwargs)

    def delete(self):
        self._refuse_if_executed(self)
        return super().delete()


class DpaExecution(BaseModel):
    """A request to execute (mutually sign) one DPA version with one enterprise organisation, and its outcome."""

    class Status(models.TextChoices):
        AWAITING_SIGNATORY = "awaiting_signatory", "Waiting for the customer's signatory"
        AWAITING_COUNTERSIGNATURE = "awaiting_countersignature", "Waiting for our countersignature"
        EXECUTED = "executed", "Executed"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Signing link expired"

    OPEN_STATUSES = (Status.AWAITING_SIGNATORY, Status.AWAITING_COUNTERSIGNATURE)

    class Side(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        PROCESSOR = "processor", "Processor"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="dpa_executions"
    )
    version = models.ForeignKey("versions.DpaVersion", on_delete=models.PROTECT, related_name="executions")
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.AWAITING_SIGNATORY, db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    # The PDF the signatory reviews; its SHA-256 is printed on the signature page. Empty while a worker prepares
    # it from the annex recorded below (dpa.signing.agreement): nobody can sign until it is there.
    agreement_path = models.CharField(max_length=300, blank=True)
    agreement_sha256 = models.CharField(max_length=64, blank=True)
    # The worker's progress on that PDF: when it was last sent to a worker (the sweep re-sends what a lost task
    # left), how many renders were tried for the current annex, and the last error (told to the pages honestly).
    agreement_enqueued_at = models.DateTimeField(null=True, blank=True)
    agreement_attempts = models.PositiveSmallIntegerField(default=0)
    agreement_error = models.TextField(blank=True)
    # Annex 1 of that PDF: the sub-processor list in force at `annex_as_of` (the moment the PDF was prepared),
    # the rows exactly as printed and their fingerprint. Signing compares them with the list at that time;
    # empty on requests made before the annex was recorded.
    annex_as_of = models.DateTimeField(null=True, blank=True)
    annex_rows = models.JSONField(null=True, blank=True)
    annex_sha256 = models.CharField(max_length=64, blank=True)

    signatory_name = models.CharField(max_length=200)
    signatory_title = models.CharField(max_length=200)
    signatory_email = models.EmailField()
    # Only the SHA-256 of the emailed token is stored: a database leak gives no working links.
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    link_expires_at = models.DateTimeField()

    customer_signed_name = models.CharField(max_length=200, blank=True)
    customer_signed_at = models.DateTimeField(null=True, blank=True)
    customer_signed_ip = models.GenericIPAddressField(null=True, blank=True)
    customer_signed_user_agent = models.CharField(max_length=500, blank=True)

    countersigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    countersigner_name = models.CharField(max_length=200, blank=True)
    countersigner_title = models.CharField(max_length=200, blank=True)
    countersigned_at = models.DateTimeField(null=True, blank=True)
    countersigned_ip = models.GenericIPAddressField(null=True, blank=True)
    countersigned_user_agent = models.CharField(max_length=500, blank=True)
    control_characters_allowed = ("customer_signed_user_agent", "countersigned_user_agent")  # headers as sent

    declined_side = models.CharField(max_length=10, choices=Side.choices, blank=True)
    declined_by_label = models.CharField(max_length=254, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)

    executed_at = models.DateTimeField(null=True, blank=True)
    executed_path = models.CharField(max_length=300, blank=True)
    executed_sha256 = models.CharField(max_length=64, unique=True, null=True, blank=True)

    objects = DpaExecutionQuerySet.as_manager()

    class Meta(BaseModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=("organisation",),
                condition=Q(status__in=("awaiting_signatory", "awaiting_countersignature")),
                name="dpa_one_open_execution_per_org",
            ),
            models.CheckConstraint(
                condition=~Q(status="executed")
                | (
                    Q(executed_sha256__isnull=False)
                    & Q(executed_at__isnull=False)
                    & Q(customer_signed_at__isnull=False)
                    & Q(countersigned_at__isnull=False)
                ),
                name="dpa_executed_has_both_signatures_and_hash",
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""), name="dpa_declined_has_reason"
            ),
        ]
        # The same rule in PostgreSQL, for raw SQL too (see portal/triggers.py). It looks at the OLD row only, so
        # the UPDATE that moves a request into `executed` passes and every later one is refused.
        triggers = [
            Refuse(
                name="dpa_execution_executed_is_final",
                operation=pgtrigger.Update | pgtrigger.Delete,
                condition=pgtrigger.Q(old__status="executed"),
                message="DPA execution % is executed: the signed record cannot be changed or deleted.",
                args=("OLD.public_id",),
                hint=EXECUTED_HINT,
            ),
            RefuseTruncate(
                name="dpa_execution_no_truncate",
                protected="status = 'executed'",
                message="% holds executed DPAs, which cannot be deleted.",
                args=("TG_TABLE_NAME",),
                hint=EXECUTED_HINT,
            ),
        ]

    def __str__(self):
        return f"DPA {self.version.label} with {self.organisation} ({self.get_status_display().lower()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def agreement_ready(self) -> bool:
        """The agreement for signature has been rendered and recorded (a worker prepares it after the request)."""
        return bool(self.agreement_sha256)

    def save(self, *args, **kwargs):
        # The executed record and its file are evidence: once executed, nothing on the row changes again.
        if self.pk is not None:
            stored = DpaExecution.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored == self.Status.EXECUTED:
                raise ApplicationError(f"{EXECUTED_IMMUTABLE} {EXECUTED_HINT}")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        # The stored status counts, not a stale copy in memory.
        if self.status == self.Status.EXECUTED or DpaExecution.objects.filter(pk=self.pk, status="executed").exists():
            raise ApplicationError(f"{EXECUTED_IMMUTABLE} {EXECUTED_HINT}")
        return super().delete(*args, **kwargs)
