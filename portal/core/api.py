"""Shared API pieces: pagination, and the one exception handler that maps ApplicationError to a 400."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from portal.core.errors import ApplicationError

PARAMETER_REPEATED = "Give `{name}` once."


class Pagination(PageNumberPagination):
    """Page-number pagination that answers a malformed `page` or `page_size` with 400 and the field's message, as
    the schema documents them (integers; page_size 1..200), instead of quietly falling back to the defaults. A
    well-formed page past the last one is still 404."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def _validate(self, request) -> None:
        fields = {
            self.page_query_param: serializers.IntegerField(required=False, min_value=1),
            self.page_size_query_param: serializers.IntegerField(
                required=False, min_value=1, max_value=self.max_page_size
            ),
        }
        errors = {}
        for name, field in fields.items():
            if len(request.query_params.getlist(name)) > 1:
                errors[name] = [PARAMETER_REPEATED.format(name=name)]
                continue
            raw = request.query_params.get(name)
            # absent or empty (as a form sends it) means the default, as in the query serializers; so does "last"
            if not raw or (name == self.page_query_param and raw in self.last_page_strings):
                continue
            try:
                field.run_validation(raw)
            except ValidationError as exc:
                errors[name] = exc.detail  # type: ignore[assignment]
        if errors:
            raise ValidationError(errors)

    def paginate_queryset(self, queryset, request, view=None):
        self._validate(request)
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        body = {exc.field: [exc.message]} if exc.field else {"detail": exc.message}
        body.update(exc.extra)
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        body = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
