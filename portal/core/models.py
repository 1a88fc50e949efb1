from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import models

from portal.core.validators import SINGLE_LINE_REFUSED, contains_control_characters


class BaseModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    # CharFields that store what a client sent verbatim (a User-Agent header) rather than text people type.
    control_characters_allowed: tuple[str, ...] = ()

    class Meta:
        abstract = True
        ordering: ClassVar[tuple[str, ...]] = ("-created_at",)  # subclasses order by more columns
        get_latest_by = "created_at"

    def clean_fields(self, exclude=None):
        """Every CharField is one line of text (TextFields are the multi-line ones): control characters are
        refused by full_clean(), which services call before saving, whatever form, serializer or admin the value
        came through. Checked here rather than as field validators so that new fields are covered without a
        migration per field."""
        errors: dict[str, list[ValidationError]] = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        skip = set(exclude or ()) | set(self.control_characters_allowed)
        for field in self._meta.concrete_fields:
            if not isinstance(field, models.CharField) or field.choices or field.name in skip:
                continue
            value = getattr(self, field.attname)
            if isinstance(value, str) and contains_control_characters(value):
                errors.setdefault(field.name, []).append(
                    ValidationError(SINGLE_LINE_REFUSED, code="control_characters")
                )
        if errors:
            raise ValidationError(errors)


class IdempotencyRecord(models.Model):
    """The first answer to a creating POST sent with an `Idempotency-Key` header (portal/core/idempotency.py).

    Written in the same transaction as what the request changed: either both are committed or neither, so a
    retry after a crash runs the request again rather than finding a record of something that never happened."""

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the method, path and request body")
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("user", "key"), name="idempotency_user_key")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key})"
