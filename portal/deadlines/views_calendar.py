from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from portal.core.permissions import legal_required
from portal.core.tables import Table
from portal.deadlines.calendar import add_business_days, calendar_days, local_date
from portal.deadlines.forms_calendar import CalendarOverrideForm
from portal.deadlines.models import CalendarOverride
from portal.deadlines.services import calendar_override_add, calendar_override_remove

CALENDAR_COLUMNS = {"date": ("date",), "kind": ("kind", "date")}


@legal_required("deadlines.change_calendaroverride")
def calendar_overrides(request):
    form = CalendarOverrideForm(request.POST or None)
    if request.method == "POST":
        if "delete" in request.POST:
            pk = request.POST["delete"]
            override = get_object_or_404(CalendarOverride, pk=pk if pk.isdigit() else None)
            calendar_override_remove(override=override, actor=request.user, request=request)
            messages.success(request, f"Override for {override.when} removed.")
            return redirect("deadlines:staff_calendar")
        if form.is_valid():
            override = calendar_override_add(actor=request.user, request=request, **form.cleaned_data)
            messages.success(request, f"{override} saved.")
            return redirect("deadlines:staff_calendar")
    today = local_date(timezone.now())
    until = today + relativedelta(years=1, days=-1)
    days = calendar_days(today, until)
    return render(
        request,
        "deadlines/staff/calendar.html",
        {
            "form": form,
            "table": Table.build(
                request,
                CalendarOverride.objects.filter(recurrence=CalendarOverride.Recurrence.ONCE),
                columns=CALENDAR_COLUMNS,
                default="date",
                noun=("override", "overrides"),
            ),
            "yearly": CalendarOverride.objects.filter(recurrence=CalendarOverride.Recurrence.YEARLY).order_by(
                "month", "day"
            ),
            "today": today,
            "until": until,
            "closed_days": [d for d in days if not d.business_day],
            "reopened_days": [d for d in days if d.business_day],
            "termijnenwet": settings.PORTAL_CALENDAR_ALGEMENE_TERMIJNENWET,
            "country": settings.PORTAL_HOLIDAY_COUNTRY,
            "examples": [(n, add_business_days(today, n)) for n in (2, 3, 5, 10)],
        },
        status=400 if request.method == "POST" else 200,
    )
