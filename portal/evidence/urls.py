from django.urls import path

from portal.evidence import views

app_name = "evidence"

urlpatterns = [
    path("staff/reports/<uuid:public_id>.pdf", views.issued_report_download, name="staff_report"),
]
