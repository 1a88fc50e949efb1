from django.urls import path

from subprocessors.changes import api as changes_api
from subprocessors.changes import views as changes
from subprocessors.changes import views_feed
from subprocessors.changes import views_notices as notices

app_name = "changes"

urlpatterns = [
    path("subprocessors/feed/", views_feed.feed, name="feed"),
    path("staff/subprocessor-changes/", changes.change_list, name="staff_list"),
    path("staff/subprocessor-changes/new/", changes.change_new, name="staff_new"),
    path("staff/subprocessor-changes/<uuid:public_id>/", changes.change_detail, name="staff_detail"),
    path("staff/subprocessor-changes/<uuid:public_id>/edit/", changes.change_edit, name="staff_edit"),
    path("staff/subprocessor-changes/<uuid:public_id>/delete/", changes.change_delete_view, name="staff_delete"),
    path(
        "staff/subprocessor-changes/<uuid:public_id>/announce/",
        changes.change_announce_view,
        name="staff_announce",
    ),
    path(
        "staff/subprocessor-changes/<uuid:public_id>/withdraw/",
        changes.change_withdraw_view,
        name="staff_withdraw",
    ),
    path(
        "staff/subprocessor-changes/<uuid:public_id>/postpone/",
        notices.change_postpone_view,
        name="staff_postpone",
    ),
    path(
        "staff/subprocessor-changes/<uuid:public_id>/alternate-contact/",
        notices.change_alternate_view,
        name="staff_alternate",
    ),
    path("staff/subprocessor-changes/<uuid:public_id>/notice/", notices.change_notice, name="staff_notice"),
    path(
        "staff/subprocessor-changes/<uuid:public_id>/notice.pdf",
        notices.change_notice_report,
        name="staff_notice_report",
    ),
    path(
        "staff/subprocessor-changes/<uuid:public_id>/notice.csv",
        notices.change_notice_export,
        name="staff_notice_export",
    ),
    path("api/v1/subprocessor-changes/", changes_api.SubprocessorChangeList.as_view(), name="api_list"),
]
