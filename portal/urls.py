from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portal import health, metrics
from portal.views import errors, organisations, public, staff, tokens

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.not_found
handler500 = errors.server_error

urlpatterns = [
    path("", public.home, name="home"),
    path("healthz", public.healthz, name="healthz"),
    path("health/live", health.live, name="health_live"),
    path("health/ready", health.ready, name="health_ready"),
    path("metrics", metrics.metrics, name="metrics"),
    path("accounts/", include("allauth.urls")),
    path("org/", organisations.organisation_list, name="organisation_list"),
    path("org/new/", organisations.organisation_new, name="organisation_new"),
    path("org/<uuid:public_id>/", organisations.organisation_detail, name="organisation_detail"),
    path("org/<uuid:public_id>/contacts/", organisations.organisation_contacts, name="organisation_contacts"),
    path("org/<uuid:public_id>/invite/", organisations.organisation_invite, name="organisation_invite"),
    path(
        "org/<uuid:public_id>/members/<int:membership_id>/",
        organisations.organisation_member,
        name="organisation_member",
    ),
    path("invitations/<uuid:token>/", organisations.invitation_detail, name="invitation_detail"),
    path("profile/api-token/", tokens.api_token, name="api_token"),
    path("profile/api-token/<uuid:public_id>/revoke/", tokens.api_token_revoke, name="api_token_revoke"),
    path("staff/", staff.staff_home, name="staff_home"),
    path("staff/audit/", staff.audit_list, name="staff_audit"),
    path("staff/audit/export.csv", staff.audit_export, name="staff_audit_export"),
    path("staff/reports/<uuid:public_id>.pdf", staff.issued_report_download, name="staff_issued_report"),
    path("staff/audit/checkpoint/", staff.audit_checkpoint, name="staff_audit_checkpoint"),
    path("staff/outbox/", staff.outbox_list, name="staff_outbox"),
    path("staff/outbox/<int:pk>/retry/", staff.outbox_retry_view, name="staff_outbox_retry"),
    path("staff/organisations/", staff.organisation_list, name="staff_organisations"),
    path("staff/organisations/<uuid:public_id>/", staff.organisation_edit, name="staff_organisation_edit"),
    path("staff/calendar/", staff.calendar_overrides, name="staff_calendar"),
    path("staff/tokens/", tokens.staff_tokens, name="staff_tokens"),
    path("staff/tokens/<uuid:public_id>/revoke/", tokens.staff_token_revoke, name="staff_token_revoke"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api_docs"),
    path("admin/", admin.site.urls),
    path("", include("subprocessors.urls")),
    path("", include("dpa.urls")),
]
