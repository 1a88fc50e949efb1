from django.urls import path

from dpa.breaches import api, api_staff
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
    path("api/v1/staff/breaches/", api_staff.BreachListCreate.as_view(), name="api_staff_list"),
    path("api/v1/staff/breaches/<uuid:public_id>/", api_staff.BreachDetail.as_view(), name="api_staff_detail"),
    path("api/v1/staff/breaches/<uuid:public_id>/send/", api_staff.BreachSend.as_view(), name="api_staff_send"),
    path(
        "api/v1/staff/breaches/<uuid:public_id>/followups/",
        api_staff.BreachFollowUpCreate.as_view(),
        name="api_staff_followup",
    ),
    path(
        "api/v1/staff/breaches/<uuid:public_id>/notifications/<uuid:notification_id>/resend/",
        api_staff.BreachResend.as_view(),
        name="api_staff_resend",
    ),
    path(
        "api/v1/staff/breaches/<uuid:public_id>/organisations/",
        api_staff.BreachOrganisationsAdd.as_view(),
        name="api_staff_add_organisations",
    ),
    path("api/v1/staff/breaches/<uuid:public_id>/report/", api_staff.BreachReport.as_view(), name="api_staff_report"),
    path(
        "api/v1/breach-notifications/<uuid:notification_id>/acknowledge/",
        api.BreachAcknowledge.as_view(),
        name="api_acknowledge",
    ),
]
