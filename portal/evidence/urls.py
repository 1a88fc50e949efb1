from django.urls import path

from portal.evidence import api, views

app_name = "evidence"

urlpatterns = [
    path("staff/reports/<uuid:public_id>.pdf", views.issued_report_download, name="staff_report"),
    path("staff/prepared-files/<uuid:public_id>/retry/", views.prepared_file_retry_view, name="staff_prepared_retry"),
    path(
        "api/v1/staff/prepared-files/<uuid:public_id>/retry/",
        api.PreparedFileRetry.as_view(),
        name="api_staff_prepared_retry",
    ),
]
