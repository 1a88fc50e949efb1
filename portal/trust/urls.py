from django.urls import path

from portal.trust import api as access_api
from portal.trust import api_staff, api_staff_documents
from portal.trust import views as access
from portal.trust import views_staff as staff_access

app_name = "trust"

urlpatterns = [
    path("trust/", access.trust_home, name="home"),
    path("trust/request/", access.access_request, name="access_request"),
    path("trust/access/", access.access_status, name="access_status"),
    path("trust/documents/<uuid:public_id>/download/", access.document_file, name="document_file"),
    path("staff/access/", staff_access.queue, name="staff_queue"),
    path("staff/access/bulk-approve/", staff_access.bulk_approve, name="staff_bulk_approve"),
    path("staff/access/rules/", staff_access.rules, name="staff_rules"),
    path("staff/access/nda/", staff_access.nda_versions, name="staff_nda_versions"),
    path("staff/access/<uuid:public_id>/", staff_access.detail, name="staff_detail"),
    path("staff/documents/", staff_access.documents, name="staff_documents"),
    path("staff/documents/<uuid:public_id>/", staff_access.document_detail, name="staff_document_detail"),
    path("api/v1/access-requests/", access_api.AccessRequestListCreate.as_view(), name="api_access_requests"),
    path(
        "api/v1/access-requests/<uuid:public_id>/approve",
        api_staff.AccessRequestApprove.as_view(),
        name="api_access_request_approve",
    ),
    path(
        "api/v1/access-requests/<uuid:public_id>/deny",
        api_staff.AccessRequestDeny.as_view(),
        name="api_access_request_deny",
    ),
    path("api/v1/nda/", access_api.NdaView.as_view(), name="api_nda"),
    path("api/v1/documents/", access_api.DocumentList.as_view(), name="api_documents"),
    # staff API
    path(
        "api/v1/staff/access-requests/",
        api_staff.StaffAccessRequestList.as_view(),
        name="api_staff_access_requests",
    ),
    path(
        "api/v1/staff/access-requests/bulk-approve/",
        api_staff.StaffAccessRequestBulkApprove.as_view(),
        name="api_staff_access_requests_bulk_approve",
    ),
    path(
        "api/v1/staff/access-requests/<uuid:public_id>/",
        api_staff.StaffAccessRequestDetail.as_view(),
        name="api_staff_access_request",
    ),
    path(
        "api/v1/staff/access-requests/<uuid:public_id>/approve/",
        api_staff.StaffAccessRequestApprove.as_view(),
        name="api_staff_access_request_approve",
    ),
    path(
        "api/v1/staff/access-requests/<uuid:public_id>/deny/",
        api_staff.StaffAccessRequestDeny.as_view(),
        name="api_staff_access_request_deny",
    ),
    path(
        "api/v1/staff/access-requests/<uuid:public_id>/revoke/",
        api_staff.StaffAccessRequestRevoke.as_view(),
        name="api_staff_access_request_revoke",
    ),
    path("api/v1/staff/auto-approval-rules/", api_staff.StaffAutoRuleList.as_view(), name="api_staff_auto_rules"),
    path(
        "api/v1/staff/auto-approval-rules/<str:domain>/",
        api_staff.StaffAutoRuleDetail.as_view(),
        name="api_staff_auto_rule",
    ),
    path("api/v1/staff/nda-versions/", api_staff.StaffNdaVersionList.as_view(), name="api_staff_nda_versions"),
    path(
        "api/v1/staff/trust-documents/",
        api_staff_documents.StaffDocumentList.as_view(),
        name="api_staff_documents",
    ),
    path(
        "api/v1/staff/trust-documents/<uuid:public_id>/",
        api_staff_documents.StaffDocumentDetail.as_view(),
        name="api_staff_document",
    ),
    path(
        "api/v1/staff/trust-documents/<uuid:public_id>/replace/",
        api_staff_documents.StaffDocumentReplace.as_view(),
        name="api_staff_document_replace",
    ),
    path(
        "api/v1/staff/trust-documents/<uuid:public_id>/retire/",
        api_staff_documents.StaffDocumentRetire.as_view(),
        name="api_staff_document_retire",
    ),
]
