from django.urls import path

from portal.audit import views

urlpatterns = [
    path("staff/audit/", views.audit_list, name="staff_audit"),
    path("staff/audit/export.csv", views.audit_export, name="staff_audit_export"),
    path("staff/audit/checkpoint/", views.audit_checkpoint, name="staff_audit_checkpoint"),
]
