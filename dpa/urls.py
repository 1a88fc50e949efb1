from django.urls import include, path

from dpa.api import access as access_api
from dpa.views import access, breaches_customer, breaches_staff, obligations, staff_access

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
    path("breach-ack/<str:token>/", breaches_customer.breach_ack, name="dpa_breach_ack"),
    path(
        "org/<uuid:public_id>/breach-notifications/<uuid:notification_id>/",
        breaches_customer.org_breach_detail,
        name="dpa_org_breach_detail",
    ),
    path("", include("dpa.urls_versions")),
    path("trust/", access.trust_home, name="trust_home"),
    path("trust/request/", access.access_request, name="access_request"),
    path("trust/access/", access.access_status, name="access_status"),
    path("trust/documents/<uuid:public_id>/download/", access.document_file, name="trust_document_file"),
    path("staff/access/", staff_access.queue, name="staff_access_queue"),
    path("staff/access/bulk-approve/", staff_access.bulk_approve, name="staff_access_bulk_approve"),
    path("staff/access/rules/", staff_access.rules, name="staff_access_rules"),
    path("staff/access/nda/", staff_access.nda_versions, name="staff_nda_versions"),
    path("staff/access/<uuid:public_id>/", staff_access.detail, name="staff_access_detail"),
    path("staff/documents/", staff_access.documents, name="staff_documents"),
    path("staff/documents/<uuid:public_id>/", staff_access.document_detail, name="staff_document_detail"),
    path("api/v1/access-requests/", access_api.AccessRequestListCreate.as_view(), name="api_access_requests"),
    path(
        "api/v1/access-requests/<uuid:public_id>/approve",
        access_api.AccessRequestApprove.as_view(),
        name="api_access_request_approve",
    ),
    path(
        "api/v1/access-requests/<uuid:public_id>/deny",
        access_api.AccessRequestDeny.as_view(),
        name="api_access_request_deny",
    ),
    path("api/v1/nda/", access_api.NdaView.as_view(), name="api_nda"),
    path("api/v1/documents/", access_api.DocumentList.as_view(), name="api_documents"),
]
