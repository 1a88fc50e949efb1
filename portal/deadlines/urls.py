from django.urls import path

from portal.deadlines import views as obligations
from portal.deadlines import views_calendar

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
]
