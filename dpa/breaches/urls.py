from django.urls import path

from dpa.breaches import views as breaches_customer
from dpa.breaches import views_staff as breaches_staff

urlpatterns = [
    path("staff/breaches/", breaches_staff.breach_dashboard, name="dpa_staff_breaches"),
    path("staff/breaches/new/", breaches_staff.breach_new, name="dpa_staff_breach_new"),
    path("staff/breaches/<uuid:public_id>/", breaches_staff.breach_detail, name="dpa_staff_breach_detail"),
    path("staff/breaches/<uuid:public_id>/edit/", breaches_staff.breach_edit, name="dpa_staff_breach_edit"),
    path("staff/breaches/<uuid:public_id>/send/", breaches_staff.breach_send, name="dpa_staff_breach_send"),
    path(
        "staff/breaches/<uuid:public_id>/notifications/<uuid:notification_id>/resend/",
        breaches_staff.breach_resend,
        name="dpa_staff_breach_resend",
    ),
    path("staff/breaches/<uuid:public_id>/followup/", breaches_staff.breach_followup, name="dpa_staff_breach_followup"),
    path(
        "staff/breaches/<uuid:public_id>/organisations/",
        breaches_staff.breach_add_organisations,
        name="dpa_staff_breach_add_orgs",
    ),
    path("staff/breaches/<uuid:public_id>/report.pdf", breaches_staff.breach_report, name="dpa_staff_breach_report"),
    path("breach-ack/<str:token>/", breaches_customer.breach_ack, name="dpa_breach_ack"),
    path(
        "org/<uuid:public_id>/breach-notifications/<uuid:notification_id>/",
        breaches_customer.org_breach_detail,
        name="dpa_org_breach_detail",
    ),
]
