from django.urls import path

from dpa.breaches import views as breaches_customer
from dpa.breaches import views_staff as breaches_staff

app_name = "breaches"

urlpatterns = [
    path("staff/breaches/", breaches_staff.breach_dashboard, name="staff_list"),
    path("staff/breaches/new/", breaches_staff.breach_new, name="staff_new"),
    path("staff/breaches/<uuid:public_id>/", breaches_staff.breach_detail, name="staff_detail"),
    path("staff/breaches/<uuid:public_id>/edit/", breaches_staff.breach_edit, name="staff_edit"),
    path("staff/breaches/<uuid:public_id>/send/", breaches_staff.breach_send, name="staff_send"),
    path(
        "staff/breaches/<uuid:public_id>/notifications/<uuid:notification_id>/resend/",
        breaches_staff.breach_resend,
        name="staff_resend",
    ),
    path("staff/breaches/<uuid:public_id>/followup/", breaches_staff.breach_followup, name="staff_followup"),
    path(
        "staff/breaches/<uuid:public_id>/organisations/",
        breaches_staff.breach_add_organisations,
        name="staff_add_organisations",
    ),
    path("staff/breaches/<uuid:public_id>/report.pdf", breaches_staff.breach_report, name="staff_report"),
    path("breach-ack/<str:token>/", breaches_customer.breach_ack, name="ack"),
    path(
        "org/<uuid:public_id>/breach-notifications/<uuid:notification_id>/",
        breaches_customer.org_breach_detail,
        name="notification_detail",
    ),
]
