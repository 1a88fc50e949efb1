from django.db import models

from .base import BaseModel


class CalendarOverride(BaseModel):
    """An operator's correction to the holiday calendar: an extra closed day, or a listed holiday re-opened."""

    class Kind(models.TextChoices):
        CLOSED = "closed", "Closed (not a business day)"
        OPEN = "open", "Open (a business day despite the holiday list)"

    date = models.DateField(unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    note = models.CharField(max_length=200, blank=True)

    class Meta(BaseModel.Meta):
        ordering = ("date",)

    def __str__(self):
        return f"{self.date}: {self.get_kind_display()}"
