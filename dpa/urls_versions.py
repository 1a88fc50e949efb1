"""URLs for DPA versions and signing (issue 6). Included from dpa/urls.py."""

from django.urls import path

from dpa.api import versions as api
from dpa.views import signing, staff, versions

urlpatterns = [
    path("dpa/", versions.version_list, name="dpa_versions"),
    path("dpa/versions/<str:label>/", versions.version_detail, name="dpa_version_detail"),
    path("dpa/versions/<str:label>/informational.pdf", versions.version_pdf, name="dpa_version_pdf"),
    path("dpa/diff/", versions.version_diff, name="dpa_diff"),
    path("dpa/verify/", versions.verify, name="dpa_verify"),
    path("dpa/sign/<str:token>/", signing.sign, name="dpa_sign"),
    path("dpa/sign/<str:token>/agreement.pdf", signing.sign_pdf, name="dpa_sign_pdf"),
    path("org/<uuid:public_id>/dpa/request/", signing.execution_request, name="dpa_execution_request"),
    path(
        "org/<uuid:public_id>/dpa/<uuid:execution_id>/executed.pdf",
        signing.executed_pdf,
        name="dpa_executed_pdf",
    ),
    path(
        "org/<uuid:public_id>/dpa/<uuid:execution_id>/withdraw/",
        signing.execution_withdraw,
        name="dpa_execution_withdraw",
    ),
    path("staff/dpa/versions/", staff.version_list, name="staff_dpa_versions"),
    path("staff/dpa/versions/new/", staff.version_new, name="staff_dpa_version_new"),
    path("staff/dpa/versions/<str:label>/", staff.version_edit, name="staff_dpa_version"),
    path("staff/dpa/versions/<str:label>/publish/", staff.version_publish, name="staff_dpa_version_publish"),
    path("staff/dpa/versions/<str:label>/preview.pdf", staff.version_preview, name="staff_dpa_version_preview"),
    path("staff/dpa/executions/", staff.execution_list, name="staff_dpa_executions"),
    path("staff/dpa/executions/register.pdf", staff.execution_register_pdf, name="staff_dpa_register_pdf"),
    path("staff/dpa/executions/register.csv", staff.execution_register_csv, name="staff_dpa_register_csv"),
    path("staff/dpa/executions/<uuid:public_id>/", staff.execution_detail, name="staff_dpa_execution"),
    path("staff/dpa/executions/<uuid:public_id>/document.pdf", staff.execution_pdf, name="staff_dpa_execution_pdf"),
    path("api/v1/dpa/versions/", api.VersionListCreate.as_view(), name="api_dpa_versions"),
    path("api/v1/dpa/versions/<str:label>/", api.VersionDetail.as_view(), name="api_dpa_version"),
    path("api/v1/dpa/versions/<str:label>/publish/", api.VersionPublish.as_view(), name="api_dpa_version_publish"),
    path("api/v1/dpa/executions/", api.ExecutionListCreate.as_view(), name="api_dpa_executions"),
    path("api/v1/dpa/verify/", api.Verify.as_view(), name="api_dpa_verify"),
]
