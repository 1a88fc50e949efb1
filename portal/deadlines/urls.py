from django.urls import path

from portal.deadlines import api_calendar, api_staff, views_calendar
from portal.deadlines import views as obligations

app_name = "deadlines"

urlpatterns = [
    path("staff/calendar/", views_calendar.calendar_overrides, name="staff_calendar"),
    path("staff/obligations/", obligations.obligation_list, name="staff_list"),
    path("staff/obligations/new/", obligations.obligation_new, name="staff_new"),
    path("staff/obligations/export.csv", obligations.obligation_export_csv, name="staff_export_csv"),
    path("staff/obligations/calendar.ics", obligations.obligation_export_ics, name="staff_export_ics"),
    path("staff/obligations/<uuid:public_id>/", obligations.obligation_detail, name="staff_detail"),
    path(
        "staff/obligations/<uuid:public_id>/evidence/",
        obligations.obligation_evidence,
        name="staff_evidence",
    ),
    path("calendar/obligations/<str:token>.ics", obligations.obligation_feed, name="feed"),
    path("api/v1/staff/obligations/", api_staff.StaffObligationList.as_view(), name="api_staff_list"),
    path("api/v1/staff/obligations/csv/", api_staff.StaffObligationExportCsv.as_view(), name="api_staff_export_csv"),
    path("api/v1/staff/obligations/ics/", api_staff.StaffObligationExportIcs.as_view(), name="api_staff_export_ics"),
    path(
        "api/v1/staff/obligations/<uuid:public_id>/",
        api_staff.StaffObligationDetail.as_view(),
        name="api_staff_detail",
    ),
    path(
        "api/v1/staff/obligations/<uuid:public_id>/complete/",
        api_staff.StaffObligationComplete.as_view(),
        name="api_staff_complete",
    ),
    path(
        "api/v1/staff/calendar-overrides/",
        api_calendar.StaffCalendarOverrideList.as_view(),
        name="api_staff_calendar_overrides",
    ),
    path(
        "api/v1/staff/calendar-overrides/<int:pk>/",
        api_calendar.StaffCalendarOverrideDetail.as_view(),
        name="api_staff_calendar_override",
    ),
]
