"""Staff API of the business-day calendar: the operator's overrides of the holiday list (an extra closed day, a
listed holiday re-opened), for one date or every year. List, add and remove them as the console's calendar page
(views_calendar.py) does: the same services, audit events and permission (the page's, for reading too)."""

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.settings import api_settings

from portal.core.api_staff import StaffAPIView, StaffGenericAPIView
from portal.core.idempotency import idempotent
from portal.core.serializers import PortalModelSerializer, PortalSerializer
from portal.deadlines.models import CalendarOverride
from portal.deadlines.models.calendar import MONTHS
from portal.deadlines.services import calendar_override_add, calendar_override_remove

# The console's calendar page checks this one permission, for reading and for both actions.
CHANGE = "deadlines.change_calendaroverride"


class CalendarOverrideSerializer(PortalModelSerializer):
    when = serializers.CharField(
        read_only=True, help_text="As the console shows it: `7 May 2027`, `24 December, every year`."
    )
    console_url = serializers.SerializerMethodField(help_text="The console's calendar page.")

    class Meta:
        model = CalendarOverride
        fields = ("id", "recurrence", "date", "month", "day", "kind", "note", "when", "created_at", "console_url")
        read_only_fields = fields

    def get_console_url(self, override) -> str:
        return settings.SITE_URL + reverse("deadlines:staff_calendar")


class CalendarOverrideCreateSerializer(PortalSerializer):
    """A closed or re-opened day: `date` for this date only, or `month` and `day` with `recurrence: yearly`."""

    recurrence = serializers.ChoiceField(
        choices=CalendarOverride.Recurrence.choices,
        default=CalendarOverride.Recurrence.ONCE,
        help_text="`once` (the default): on `date` only. `yearly`: every year on `month`/`day`.",
    )
    date = serializers.DateField(required=False, allow_null=True, help_text="For `once`.")
    month = serializers.ChoiceField(
        choices=MONTHS, required=False, allow_null=True, help_text="For `yearly`: 1 (January) to 12."
    )
    day = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=31,
        help_text="For `yearly`: the day of the month (29 February applies in leap years only).",
    )
    kind = serializers.ChoiceField(
        choices=CalendarOverride.Kind.choices,
        help_text="`closed`: not a business day. `open`: a business day despite the holiday list.",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class CalendarOverrideQuerySerializer(PortalSerializer):
    """Filters of the override list; they combine. An invalid value answers 400 with the field's message."""

    recurrence = serializers.ChoiceField(choices=CalendarOverride.Recurrence.choices, required=False)
    kind = serializers.ChoiceField(choices=CalendarOverride.Kind.choices, required=False)


def _overrides():
    # single dates by date, then the yearly rules by month and day (dates sort first: NULLs last)
    return CalendarOverride.objects.order_by("date", "month", "day", "id")


class StaffCalendarOverrideList(StaffGenericAPIView, generics.ListAPIView):
    parser_classes = [JSONParser]  # a form body cannot send null for the fields that do not apply
    serializer_class = CalendarOverrideSerializer
    staff_permissions = {"GET": CHANGE, "POST": CHANGE}

    def get_queryset(self):
        query = CalendarOverrideQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        qs = _overrides()
        for name in ("recurrence", "kind"):
            if query.validated_data.get(name):
                qs = qs.filter(**{name: query.validated_data[name]})
        return qs

    @extend_schema(parameters=[CalendarOverrideQuerySerializer], responses=CalendarOverrideSerializer(many=True))
    def get(self, request, *args, **kwargs):
        """The operator's corrections to the holiday calendar that business-day deadlines are counted in: single
        dates first (by date), then the every-year rules (by month and day). A single date beats a yearly rule."""
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=CalendarOverrideCreateSerializer,
        responses={201: CalendarOverrideSerializer},
        examples=[
            OpenApiExample(
                "Office closed on one day", value={"date": "2027-05-07", "kind": "closed", "note": "Bridge day"}
            ),
            OpenApiExample(
                "Closed every Christmas Eve",
                value={"recurrence": "yearly", "month": 12, "day": 24, "kind": "closed", "note": "Christmas Eve"},
            ),
        ],
    )
    @idempotent
    def post(self, request):
        """Add an override, as on the console's calendar page: deadlines counted from now on skip a closed day and
        count a re-opened one. One override per date and one yearly rule per day (remove it first to change it).
        Recorded in the audit log (`calendar.override_added`)."""
        data = CalendarOverrideCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            override = calendar_override_add(actor=request.user, request=request, **data.validated_data)
        except DjangoValidationError as exc:
            errors = exc.message_dict
            if NON_FIELD_ERRORS in errors:
                errors[api_settings.NON_FIELD_ERRORS_KEY] = errors.pop(NON_FIELD_ERRORS)
            raise ValidationError(errors) from exc
        return Response(CalendarOverrideSerializer(override).data, status=status.HTTP_201_CREATED)


class StaffCalendarOverrideDetail(StaffAPIView):
    staff_permissions = {"GET": CHANGE, "DELETE": CHANGE}

    @extend_schema(responses=CalendarOverrideSerializer)
    def get(self, request, pk):
        """One override by its id."""
        return Response(CalendarOverrideSerializer(get_object_or_404(CalendarOverride, pk=pk)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, pk):
        """Remove an override, as the console's Remove button: the holiday list applies to that day again.
        Recorded in the audit log (`calendar.override_removed`, with the override as it was)."""
        calendar_override_remove(
            override=get_object_or_404(CalendarOverride, pk=pk), actor=request.user, request=request
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
