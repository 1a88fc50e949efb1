"""The project's serializer bases: single-line text refuses control characters in the API as in the forms."""

from typing import TYPE_CHECKING

from rest_framework import serializers

from portal.core.validators import SINGLE_LINE_REFUSED, contains_control_characters, validate_single_line

TEXTAREA = "textarea.html"


def single_line_text(value) -> None:
    """validate_single_line for serializers. A function, not the RegexValidator itself, so that drf-spectacular
    does not turn it into a `pattern` that response bodies (read through the same components) would be held to."""
    validate_single_line(value)


def is_single_line_serializer_field(field: serializers.Field) -> bool:
    """A writable text field that is not multi-line. ModelSerializer gives a model TextField the textarea style;
    a declared multi-line field is a TextField below."""
    return (
        isinstance(field, serializers.CharField)
        and not field.read_only
        and field.style.get("base_template") != TEXTAREA
    )


class TextField(serializers.CharField):
    """Multi-line text (a reason, a message): newlines allowed."""

    def __init__(self, **kwargs):
        kwargs.setdefault("style", {"base_template": TEXTAREA})
        super().__init__(**kwargs)


# Typed as the serializer it is mixed into (super().get_fields()); at run time a plain mixin.
if TYPE_CHECKING:
    _SerializerBase = serializers.Serializer
else:
    _SerializerBase = object


class SingleLineTextMixin(_SerializerBase):
    """Every writable text field that is not multi-line refuses control characters (400 with the field's
    message). tests/core/test_single_line.py fails for a project serializer without it."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            if isinstance(field, serializers.CharField) and not field.read_only:
                _refuse_numbers_as_text(field)
            if is_single_line_serializer_field(field):
                field.validators.append(single_line_text)
            elif not field.read_only:
                relation = getattr(field, "child_relation", field)
                if isinstance(relation, serializers.SlugRelatedField):
                    _refuse_control_characters_before_lookup(relation)
        return fields


TEXT_EXPECTED = "Send text (a JSON string), not a number or a boolean."


def _refuse_numbers_as_text(field: serializers.CharField) -> None:
    """DRF's CharField turns 0.5 or true into "0.5" or "True"; the schema says string, and a title of "True" is a
    script's mistake, not what anyone meant. (Form and multipart bodies only carry strings.)"""
    convert = field.to_internal_value

    def to_internal_value(data):
        if isinstance(data, bool | int | float):
            raise serializers.ValidationError(TEXT_EXPECTED, code="invalid")
        return convert(data)

    field.to_internal_value = to_internal_value  # type: ignore[method-assign]


def _refuse_control_characters_before_lookup(field: serializers.SlugRelatedField) -> None:
    """A slug is looked up in the database as sent; PostgreSQL refuses a NUL byte in a query with an error (a 500)
    instead of finding nothing. Answer it as the field's 400 first."""
    lookup = field.to_internal_value

    def to_internal_value(data):
        if isinstance(data, str) and contains_control_characters(data):
            raise serializers.ValidationError(SINGLE_LINE_REFUSED, code="control_characters")
        return lookup(data)

    field.to_internal_value = to_internal_value  # type: ignore[method-assign]


class PortalSerializer(SingleLineTextMixin, serializers.Serializer):
    pass


class PortalModelSerializer(SingleLineTextMixin, serializers.ModelSerializer):
    pass
