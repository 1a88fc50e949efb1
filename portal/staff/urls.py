from django.urls import path

from portal.staff import views, views_audit

urlpatterns = [
    path("staff/", views.staff_home, name="staff_home"),
    path("staff/audit/", views_audit.audit_list, name="staff_audit"),
    path("staff/audit/export.csv", views_audit.audit_export, name="staff_audit_export"),
    path("staff/audit/checkpoint/", views_audit.audit_checkpoint, name="staff_audit_checkpoint"),
]
