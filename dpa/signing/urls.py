from django.urls import path

from dpa.signing import api, api_staff, views, views_staff, views_verify

app_name = "signing"

urlpatterns = [
    path("dpa/verify/", views_verify.verify, name="verify"),
    path("dpa/sign/<str:token>/", views.sign, name="sign"),
    path("dpa/sign/<str:token>/agreement.pdf", views.sign_pdf, name="sign_pdf"),
    path("org/<uuid:public_id>/dpa/request/", views.execution_request, name="request"),
    path(
        "org/<uuid:public_id>/dpa/<uuid:execution_id>/executed.pdf",
        views.executed_pdf,
        name="executed_pdf",
    ),
    path(
        "org/<uuid:public_id>/dpa/<uuid:execution_id>/withdraw/",
        views.execution_withdraw,
        name="withdraw",
    ),
    path("staff/dpa/executions/", views_staff.execution_list, name="staff_list"),
    path("staff/dpa/executions/register.pdf", views_staff.execution_register_pdf, name="staff_register_pdf"),
    path("staff/dpa/executions/register.csv", views_staff.execution_register_csv, name="staff_register_csv"),
    path("staff/dpa/executions/<uuid:public_id>/", views_staff.execution_detail, name="staff_detail"),
    path("staff/dpa/executions/<uuid:public_id>/document.pdf", views_staff.execution_pdf, name="staff_pdf"),
    path(
        "staff/dpa/executions/<uuid:public_id>/agreement/retry/",
        views_staff.execution_agreement_retry,
        name="staff_agreement_retry",
    ),
    path("api/v1/dpa/executions/", api.ExecutionListCreate.as_view(), name="api_list"),
    path("api/v1/dpa/verify/", api.Verify.as_view(), name="api_verify"),
    path("api/v1/staff/dpa-executions/", api_staff.DpaExecutionList.as_view(), name="api_staff_executions"),
    path(
        "api/v1/staff/dpa-executions/register/csv/",
        api_staff.DpaRegisterCsv.as_view(),
        name="api_staff_register_csv",
    ),
    path(
        "api/v1/staff/dpa-executions/register/pdf/",
        api_staff.DpaRegisterPdf.as_view(),
        name="api_staff_register_pdf",
    ),
    path(
        "api/v1/staff/dpa-executions/<uuid:public_id>/",
        api_staff.DpaExecutionDetail.as_view(),
        name="api_staff_execution",
    ),
    path(
        "api/v1/staff/dpa-executions/<uuid:public_id>/document/",
        api_staff.DpaExecutionDocument.as_view(),
        name="api_staff_execution_document",
    ),
    path(
        "api/v1/staff/dpa-executions/<uuid:public_id>/countersign/",
        api_staff.DpaExecutionCountersign.as_view(),
        name="api_staff_execution_countersign",
    ),
    path(
        "api/v1/staff/dpa-executions/<uuid:public_id>/decline/",
        api_staff.DpaExecutionDecline.as_view(),
        name="api_staff_execution_decline",
    ),
    path(
        "api/v1/staff/dpa-executions/<uuid:public_id>/retry-agreement/",
        api_staff.DpaExecutionAgreementRetry.as_view(),
        name="api_staff_execution_retry_agreement",
    ),
]
