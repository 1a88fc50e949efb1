import calendar

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import dateformat
from django.utils.dates import MONTHS as MONTH_NAMES

from portal.core.models import BaseModel

MONTHS = sorted(MONTH_NAMES.items())
# 29 February is allowed in a yearly rule and applies only in leap years (see README "Business days").
_LONGEST_MONTH = {month: calendar.monthrange(2000, month)[1] for month in range(1, 13)}

DATE_DUPLICATE = "An override for this date already exists. Remove it first to change it."
YEARLY_DUPLICATE = "An every-year rule for this day already exists. Remove it first to change it."
DATE_REQUIRED = "Choose the date."
DATE_NOT_FOR_YEARLY = "Leave the date empty for an every-year rule: choose the month and day instead."
MONTH_REQUIRED = "Choose the month."
DAY_REQUIRED = "Choose the day of the month."
MONTH_DAY_NOT_FOR_ONCE = "Month and day are for an every-year rule: leave them empty for a single date."
NO_SUCH_DAY = "{month} has only {days} days."


def no_such_day_message(month: int) -> str:
    return NO_SUCH_DAY.format(month=MONTH_NAMES[month], days=_LONGEST_MONTH[month])


class CalendarOverride(BaseModel):
    """An operator's correction to the holiday calendar: an extra closed day, or a listed holiday re-opened.

    Either for one date (`date`), or every year on `month`/`day`. A single-date override beats a yearly rule
    for that date.
    """

    class Kind(models.TextChoices):
        CLOSED = "closed", "Closed (not a business day)"
        OPEN = "open", "Open (a business day despite the holiday list)"

    class Recurrence(models.TextChoices):
        ONCE = "once", "This date only"
        YEARLY = "yearly", "Every year"

    recurrence = models.CharField("Repeats", max_length=10, choices=Recurrence.choices, default=Recurrence.ONCE)
    date = models.DateField(
        unique=True,
        null=True,
        blank=True,
        error_messages={"unique": DATE_DUPLICATE},
        help_text="For “this date only”.",
    )
    month = models.PositiveSmallIntegerField(null=True, blank=True, choices=MONTHS, help_text="For “every year”.")
    day = models.PositiveSmallIntegerField(
        "Day of the month",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text="For “every year”. 29 February applies in leap years only.",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    note = models.CharField(max_length=200, blank=True)

    class Meta(BaseModel.Meta):
        ordering = ("date", "month", "day")
        constraints = [
            models.CheckConstraint(
                condition=Q(recurrence="once", date__isnull=False, month__isnull=True, day__isnull=True)
                | Q(recurrence="yearly", date__isnull=True, month__isnull=False, day__isnull=False),
                name="calendar_override_date_or_month_day",
            ),
            models.CheckConstraint(
                condition=Q(month__isnull=True)
                | Q(month__in=[1, 3, 5, 7, 8, 10, 12], day__gte=1, day__lte=31)
                | Q(month__in=[4, 6, 9, 11], day__gte=1, day__lte=30)
                | Q(month=2, day__gte=1, day__lte=29),
                name="calendar_override_day_exists",
            ),
            models.UniqueConstraint(
                fields=("month", "day"),
                name="calendar_override_one_rule_per_day",
                violation_error_message=YEARLY_DUPLICATE,
            ),
        ]

    def __str__(self):
        return f"{self.when}: {self.get_kind_display()}"

    @property
    def when(self) -> str:
        if self.recurrence == self.Recurrence.YEARLY:
            return f"{self.day} {MONTH_NAMES.get(self.month or 0, '')}, every year"
        return dateformat.format(self.date, "j F Y") if self.date else ""

    def clean(self):
        errors = {}
        if self.recurrence == self.Recurrence.YEARLY:
            if self.date is not None:
                errors["date"] = DATE_NOT_FOR_YEARLY
            if self.month is None:
                errors["month"] = MONTH_REQUIRED
            if self.day is None:
                errors["day"] = DAY_REQUIRED
            elif self.month is not None and self.day > _LONGEST_MONTH.get(self.month, 31):
                errors["day"] = no_such_day_message(self.month)
        else:
            if self.date is None:
                errors["date"] = DATE_REQUIRED
            if self.month is not None or self.day is not None:
                errors["month" if self.month is not None else "day"] = MONTH_DAY_NOT_FOR_ONCE
        if errors:
            raise ValidationError(errors)
