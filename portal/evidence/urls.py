from django.urls import path

from portal.evidence import views

urlpatterns = [
    path("staff/reports/<uuid:public_id>.pdf", views.issued_report_download, name="staff_issued_report"),
]
