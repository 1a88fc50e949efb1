from django.urls import path

from subprocessors.api import changes as changes_api
from subprocessors.api import views as api
from subprocessors.views import (
    changes,
    exports,
    notices,
    objections,
    public,
    staff,
    staff_webhooks,
    subscriptions,
    webhooks,
)

urlpatterns = [
    path("subprocessors/", public.subprocessor_list, name="subprocessors_list"),
    path("subprocessors/history/", public.subprocessor_history, name="subprocessors_history"),
    path("subprocessors/feed/", exports.feed, name="subprocessors_feed"),
    path("subprocessors/export.csv", exports.export_csv, name="subprocessors_csv"),
    path("subprocessors/snapshot.pdf", exports.export_pdf, name="subprocessors_pdf"),
    path("subprocessors/subscribe/", subscriptions.subscribe, name="subprocessors_subscribe"),
    path("subprocessors/subscribe/sent/", subscriptions.subscribe_sent, name="subprocessors_subscribe_sent"),
    path(
        "subprocessors/subscribe/confirm/<str:token>/",
        subscriptions.subscribe_confirm,
        name="subprocessors_subscribe_confirm",
    ),
    path("subprocessors/unsubscribe/<str:token>/", subscriptions.unsubscribe, name="subprocessors_unsubscribe"),
    # Sub-processor changes and objections (issue 4)
    path("subprocessors/changes/<uuid:public_id>/object/", objections.change_object, name="change_object"),
    path("org/<uuid:public_id>/objections/", objections.objection_list, name="objection_list"),
    path(
        "org/<uuid:public_id>/objections/<uuid:objection_id>/",
        objections.objection_detail,
        name="objection_detail",
    ),
    path("org/<uuid:public_id>/webhooks/", webhooks.webhook_list, name="webhook_list"),
    path("org/<uuid:public_id>/webhooks/<uuid:webhook_id>/remove/", webhooks.webhook_remove, name="webhook_remove"),
    path("staff/subprocessor-changes/", changes.change_list, name="staff_change_list"),
    path("staff/subprocessor-changes/new/", changes.change_new, name="staff_change_new"),
    path("staff/subprocessor-changes/<uuid:public_id>/", changes.change_detail, name="staff_change_detail"),
    path("staff/subprocessor-changes/<uuid:public_id>/edit/", changes.change_edit, name="staff_change_edit"),
    path("staff/subprocessor-changes/<uuid:public_id>/delete/", changes.change_delete_view, name="staff_change_delete"),
    path(
        "staff/subprocessor-changes/<uuid:public_id>/announce/",
        changes.change_announce_view,
        name="staff_change_announce",
    ),
    path(
        "staff/subprocessor-changes/<uuid:public_id>/withdraw/",
        changes.change_withdraw_view,
        name="staff_change_withdraw",
    ),
    path(
        "staff/subprocessor-changes/<uuid:public_id>/postpone/",
        notices.change_postpone_view,
        name="staff_change_postpone",
    ),
    path(
        "staff/subprocessor-changes/<uuid:public_id>/alternate-contact/",
        notices.change_alternate_view,
        name="staff_change_alternate",
    ),
    path("staff/subprocessor-changes/<uuid:public_id>/notice/", notices.change_notice, name="staff_change_notice"),
    path(
        "staff/subprocessor-changes/<uuid:public_id>/notice.pdf",
        notices.change_notice_report,
        name="staff_change_notice_report",
    ),
    path(
        "staff/subprocessor-changes/<uuid:public_id>/notice.csv",
        notices.change_notice_export,
        name="staff_change_notice_export",
    ),
    path("staff/objections/<uuid:public_id>/", changes.staff_objection_detail, name="staff_objection_detail"),
    path("api/v1/subprocessor-changes/", changes_api.SubprocessorChangeList.as_view(), name="api_change_list"),
    path(
        "api/v1/subprocessor-changes/<uuid:public_id>/objections/",
        changes_api.ObjectionCreate.as_view(),
        name="api_change_objections",
    ),
    path("staff/webhook-deliveries/", staff_webhooks.delivery_list, name="staff_webhook_deliveries"),
    path(
        "staff/webhook-deliveries/<uuid:delivery_id>/retry/",
        staff_webhooks.delivery_retry,
        name="staff_webhook_delivery_retry",
    ),
    path("staff/subprocessors/", staff.subprocessor_list, name="staff_subprocessors"),
    path("staff/subprocessors/new/", staff.subprocessor_new, name="staff_subprocessor_new"),
    path("staff/subprocessors/<slug:slug>/", staff.subprocessor_edit, name="staff_subprocessor_edit"),
    path("api/v1/subprocessors/", api.SubprocessorListView.as_view(), name="api_subprocessor_list"),
    path("api/v1/subprocessors/<slug:slug>/", api.SubprocessorDetailView.as_view(), name="api_subprocessor_detail"),
]
