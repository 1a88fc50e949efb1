import uuid

from django.conf import settings
from django.db import models

from portal.core.models import BaseModel
from subprocessors.changes.windows import objection_deadline

# The fields an audit snapshot of a change records (its "before" and "after").
CHANGE_FIELDS = ["kind", "subprocessor", "replaces", "modification", "reason", "status", "effective_date"]


class SubprocessorChange(BaseModel):
    """A scheduled change to the sub-processor list, announced to customers before it takes effect.

    The email and the public page both render `headline` and `reason` from this row, so they cannot disagree.
    """

    class Kind(models.TextChoices):
        ADD = "add", "New sub-processor"
        REPLACE = "replace", "Replacement"
        REMOVE = "remove", "Removal"
        MODIFY = "modify", "Modification"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ANNOUNCED = "announced", "Announced"
        # The effective date came while an enterprise customer had no notice delivered 10 business days before
        # it: the change waits for legal staff to postpone or withdraw it.
        HELD = "held", "Held: notice incomplete"
        EFFECTIVE = "effective", "Effective"
        WITHDRAWN = "withdrawn", "Withdrawn"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    subprocessor = models.ForeignKey("listing.Subprocessor", on_delete=models.PROTECT, related_name="changes")
    replaces = models.ForeignKey(
        "listing.Subprocessor",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by_changes",
        help_text="For a replacement: the sub-processor that is retired when the change takes effect.",
    )
    modification = models.TextField(
        blank=True, help_text="For a modification: what changes (e.g. a new processing region)."
    )
    reason = models.TextField(help_text="Why the change is made; shown to customers in the notice and on the page.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    effective_date = models.DateField()
    announced_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.TextField(blank=True)
    effective_at = models.DateTimeField(null=True, blank=True)
    # Every enterprise customer's notice must be delivered before this instant (00:00 local time on the 10th
    # business day counted back from the effective date); recomputed when the date or the calendar changes.
    notice_deadline_at = models.DateTimeField(null=True, blank=True)
    held_at = models.DateTimeField(null=True, blank=True)
    postponements = models.PositiveSmallIntegerField(default=0)
    postponed_at = models.DateTimeField(null=True, blank=True)
    previous_effective_date = models.DateField(null=True, blank=True)
    postponement_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Fan-out bookkeeping: set when every recipient of that notice has its outbox row.
    recipients_recorded_at = models.DateTimeField(null=True, blank=True)
    announce_fanout_done_at = models.DateTimeField(null=True, blank=True)
    withdraw_fanout_done_at = models.DateTimeField(null=True, blank=True)
    postpone_fanout_done_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta(BaseModel.Meta):
        ordering = ("effective_date", "id")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="replace") | models.Q(replaces__isnull=False),
                name="subprocessorchange_replace_needs_replaced",
            ),
            models.CheckConstraint(
                condition=models.Q(replaces__isnull=True) | ~models.Q(replaces=models.F("subprocessor")),
                name="subprocessorchange_replaces_other",
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(announced_at__isnull=False),
                name="subprocessorchange_announced_has_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="held") | models.Q(held_at__isnull=False),
                name="subprocessorchange_held_has_time",
            ),
        ]
        permissions = [("announce_subprocessorchange", "Can announce and withdraw sub-processor changes")]

    def __str__(self):
        return self.headline

    @property
    def headline(self) -> str:
        name = self.subprocessor.name
        if self.kind == self.Kind.ADD:
            return f"New sub-processor: {name}"
        if self.kind == self.Kind.REPLACE and self.replaces:
            return f"{name} replaces {self.replaces.name}"
        if self.kind == self.Kind.REMOVE:
            return f"{name} will no longer be used"
        return f"Change to {name}"

    @property
    def objection_deadline(self):
        """Runs to the current effective date: a postponement moves it with the date."""

        return objection_deadline(self.effective_date)

    @property
    def is_held(self) -> bool:
        return self.status == self.Status.HELD


class ChangeRecipient(BaseModel):
    """One address that must receive the notices of a change: the proof-of-notice row.

    The fan-out task records every recipient first and then links each row to its outbox email, batch by batch;
    (change, email) is unique, so no address is notified twice and a resumed run finds what is missing.
    """

    class Role(models.TextChoices):
        CUSTOMER = "customer", "Customer privacy contact"
        SUBSCRIBER = "subscriber", "Public subscriber"
        BOTH = "both", "Customer privacy contact and subscriber"
        ALTERNATE = "alternate", "Alternate contact chosen by legal staff"

    change = models.ForeignKey(SubprocessorChange, on_delete=models.CASCADE, related_name="recipients")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices)
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    organisation_names = models.TextField(blank=True)
    subscriber = models.ForeignKey(
        "listing.Subscriber", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    announce_email = models.ForeignKey(
        "delivery.OutboundEmail", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    withdraw_email = models.ForeignKey(
        "delivery.OutboundEmail", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The notice of the latest postponement (round `postpone_round`, i.e. the change's n-th postponement).
    postpone_email = models.ForeignKey(
        "delivery.OutboundEmail", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    postpone_round = models.PositiveSmallIntegerField(default=0)
    # When the SMTP server first accepted a notice of this change for this address (announcement, postponement
    # or alternate-contact notice), set by the outbox's delivery event: the time the 10-business-day rule checks.
    notice_delivered_at = models.DateTimeField(null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    organisations = models.ManyToManyField(
        "organisations.Organisation", through="RecipientOrganisation", related_name="+", blank=True
    )

    class Meta(BaseModel.Meta):
        ordering = ("email",)
        constraints = [models.UniqueConstraint(fields=("change", "email"), name="uniq_change_recipient")]
        indexes = [
            models.Index(fields=("change", "announce_email")),
            models.Index(fields=("change", "withdraw_email")),
            models.Index(fields=("change", "postpone_round")),
        ]

    def __str__(self):
        return f"{self.email} ({self.get_role_display()})"


class RecipientOrganisation(models.Model):
    """Which organisations an address receives a change's notice for (one address can serve several, an
    organisation without a privacy contact is reached through each of its admins). An enterprise organisation's
    notice counts as delivered when any of its addresses had one delivered in time."""

    change = models.ForeignKey(SubprocessorChange, on_delete=models.CASCADE, related_name="recipient_organisations")
    recipient = models.ForeignKey(ChangeRecipient, on_delete=models.CASCADE, related_name="organisation_links")
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("recipient", "organisation"), name="uniq_recipient_organisation")
        ]
        indexes = [models.Index(fields=("change", "organisation"))]

    def __str__(self):
        return f"{self.recipient_id} for organisation {self.organisation_id}"
