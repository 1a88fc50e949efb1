from django.urls import path

from portal.audit import views

app_name = "audit"

urlpatterns = [
    path("staff/audit/", views.audit_list, name="staff_list"),
    path("staff/audit/export.csv", views.audit_export, name="staff_export"),
    path("staff/audit/checkpoint/", views.audit_checkpoint, name="staff_checkpoint"),
]
