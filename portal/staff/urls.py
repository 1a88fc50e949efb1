from django.urls import path

from portal.staff import api_audit, views, views_audit

app_name = "staff"

urlpatterns = [
    path("staff/", views.staff_home, name="home"),
    path("staff/audit/", views_audit.audit_list, name="audit"),
    path("staff/audit/export.csv", views_audit.audit_export, name="audit_export"),
    path("staff/audit/checkpoint/", views_audit.audit_checkpoint, name="audit_checkpoint"),
    path("api/v1/staff/audit-events/", api_audit.AuditEventList.as_view(), name="api_staff_audit_events"),
    path("api/v1/staff/audit-events/export/", api_audit.AuditExport.as_view(), name="api_staff_audit_export"),
    path(
        "api/v1/staff/audit-checkpoints/", api_audit.AuditCheckpointCreate.as_view(), name="api_staff_audit_checkpoint"
    ),
    path("api/v1/staff/audit-events/<int:pk>/", api_audit.AuditEventDetail.as_view(), name="api_staff_audit_event"),
]
