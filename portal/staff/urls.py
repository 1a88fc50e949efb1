from django.urls import path

from portal.staff import views, views_audit

app_name = "staff"

urlpatterns = [
    path("staff/", views.staff_home, name="home"),
    path("staff/audit/", views_audit.audit_list, name="audit"),
    path("staff/audit/export.csv", views_audit.audit_export, name="audit_export"),
    path("staff/audit/checkpoint/", views_audit.audit_checkpoint, name="audit_checkpoint"),
]
