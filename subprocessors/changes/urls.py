from django.urls import path

from subprocessors.changes import api as changes_api
from subprocessors.changes import api_staff, views_feed
from subprocessors.changes import views as changes

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
    path("api/v1/subprocessor-changes/", changes_api.SubprocessorChangeList.as_view(), name="api_list"),
    path("api/v1/staff/subprocessor-changes/", api_staff.StaffChangeList.as_view(), name="api_staff_list"),
    path(
        "api/v1/staff/subprocessor-changes/<uuid:public_id>/",
        api_staff.StaffChangeDetail.as_view(),
        name="api_staff_detail",
    ),
    path(
        "api/v1/staff/subprocessor-changes/<uuid:public_id>/announce/",
        api_staff.StaffChangeAnnounce.as_view(),
        name="api_staff_announce",
    ),
    path(
        "api/v1/staff/subprocessor-changes/<uuid:public_id>/withdraw/",
        api_staff.StaffChangeWithdraw.as_view(),
        name="api_staff_withdraw",
    ),
]
