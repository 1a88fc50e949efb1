from django.urls import path

from portal.deadlines import views as obligations
from portal.deadlines import views_calendar

urlpatterns = [
    path("staff/calendar/", views_calendar.calendar_overrides, name="staff_calendar"),
    path("staff/obligations/", obligations.obligation_list, name="dpa_staff_obligations"),
    path("staff/obligations/new/", obligations.obligation_new, name="dpa_staff_obligation_new"),
    path("staff/obligations/export.csv", obligations.obligation_export_csv, name="dpa_staff_obligations_csv"),
    path("staff/obligations/calendar.ics", obligations.obligation_export_ics, name="dpa_staff_obligations_ics"),
    path("staff/obligations/<uuid:public_id>/", obligations.obligation_detail, name="dpa_staff_obligation_detail"),
    path(
        "staff/obligations/<uuid:public_id>/evidence/",
        obligations.obligation_evidence,
        name="dpa_staff_obligation_evidence",
    ),
    path("calendar/obligations/<str:token>.ics", obligations.obligation_feed, name="dpa_obligations_feed"),
]
