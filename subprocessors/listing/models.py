import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from portal.core.models import BaseModel
from subprocessors.listing.countries import COUNTRIES, REGIONS, country_name


def validate_country(value: str) -> None:
    if value not in COUNTRIES:
        raise ValidationError(f"“{value}” is not an ISO 3166-1 alpha-2 country code (e.g. NL, FR, US).")


def validate_region(value: str) -> None:
    if value not in COUNTRIES and value not in REGIONS:
        raise ValidationError(
            f"“{value}” is not an ISO 3166-1 alpha-2 country code (e.g. NL, FR) or EU for the European Union."
        )


class Subprocessor(BaseModel):
    class Category(models.TextChoices):
        CUSTOMER_DATA = "customer_data", "Sub-processors for customer data"
        AI_PROVIDER = "ai_provider", "AI model providers"
        CONTROLLER_DATA = "controller_data", "Controller-data service providers"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    legal_entity = models.CharField("legal entity name", max_length=200, blank=True)
    category = models.CharField(max_length=20, choices=Category.choices)
    purpose = models.CharField(max_length=300)
    processes_customer_data = models.BooleanField(default=False)
    customer_data_note = models.CharField(
        max_length=300, blank=True, help_text="E.g. “May process API traffic transiently”."
    )
    location = models.CharField("location and safeguards", max_length=300, blank=True)
    hq_country = models.CharField("HQ country", max_length=2, validators=[validate_country])
    processing_region = models.CharField(max_length=2, validators=[validate_region])
    eea_only = models.BooleanField("EU/EEA processing only", default=False)
    retains_prompts = models.BooleanField(default=False)
    trains_on_data = models.BooleanField(default=False)
    website = models.URLField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED, db_index=True)
    engaged_since = models.DateField(null=True, blank=True)
    retired_on = models.DateField(null=True, blank=True)
    position = models.PositiveIntegerField(default=100, help_text="Order within its table (lower first).")

    class Meta(BaseModel.Meta):
        ordering = ("category", "position", "name")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="retired") | models.Q(retired_on__isnull=False),
                name="subprocessor_retired_has_date",
            ),
            models.CheckConstraint(
                condition=models.Q(category__in=["customer_data", "ai_provider", "controller_data"]),
                name="subprocessor_category_valid",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def retention_training(self) -> str:
        retention = "Retains prompts" if self.retains_prompts else "No prompt retention"
        training = "trains on data" if self.trains_on_data else "no training"
        return f"{retention} / {training}"

    @property
    def hq_country_name(self) -> str:
        return country_name(self.hq_country)

    @property
    def processing_region_name(self) -> str:
        return country_name(self.processing_region)

    @property
    def handles_customer_data(self) -> bool:
        """A processor of customer data: adding or replacing one needs the change-notice flow."""
        return self.category != self.Category.CONTROLLER_DATA or self.processes_customer_data


# What a visitor is told about a sub-processor (the list, the API, the change notice, the staff forms): one list.
DESCRIPTION_FIELDS = (
    "name",
    "legal_entity",
    "category",
    "purpose",
    "processes_customer_data",
    "customer_data_note",
    "location",
    "hq_country",
    "processing_region",
    "eea_only",
    "retains_prompts",
    "trains_on_data",
    "website",
)
LIFECYCLE_FIELDS = ("status", "engaged_since", "retired_on")
# Fields copied into every revision's snapshot (everything a visitor or the API can see).
SNAPSHOT_FIELDS = ("name", "slug", *DESCRIPTION_FIELDS[1:], *LIFECYCLE_FIELDS, "position")


class SubprocessorRevision(models.Model):
    """One change to one row of the list: the full state after the change and which fields changed."""

    class Kind(models.TextChoices):
        ADDED = "added", "Added"
        CHANGED = "changed", "Changed"
        RETIRED = "retired", "Removed"

    subprocessor = models.ForeignKey(Subprocessor, on_delete=models.PROTECT, related_name="revisions")
    changed_at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    changed_fields = models.JSONField(default=list)
    before = models.JSONField(default=dict)
    snapshot = models.JSONField(default=dict)
    # Changes to rows that were never public (proposed rows before announcement) stay off the public history.
    public = models.BooleanField(default=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=254, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-changed_at", "-id")
        get_latest_by = "changed_at"
        indexes = [models.Index(fields=("subprocessor", "-changed_at"), name="sp_rev_sp_changed")]

    def __str__(self):
        return f"{self.subprocessor_id} {self.kind} at {self.changed_at:%Y-%m-%d}"

    @property
    def changes(self) -> list[dict]:
        """The changed public fields with readable labels and values, for the History page."""
        out = []
        for name in self.changed_fields:
            if name in INTERNAL_FIELDS:
                continue
            field = Subprocessor._meta.get_field(name)
            assert isinstance(field, models.Field)  # a column of the list, not a reverse relation
            out.append(
                {
                    "field": name,
                    "label": str(field.verbose_name)[:1].upper() + str(field.verbose_name)[1:],
                    "before": _display(field, self.before.get(name)),
                    "after": _display(field, self.snapshot.get(name)),
                }
            )
        return out


INTERNAL_FIELDS = frozenset({"position"})


def _display(field, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


class Subscriber(BaseModel):
    """A public email subscription to list changes (double opt-in). Unsubscribing deletes the row."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for confirmation"
        CONFIRMED = "confirmed", "Confirmed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(max_length=254, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta(BaseModel.Meta):
        ordering = ("email",)

    def __str__(self):
        return self.email
