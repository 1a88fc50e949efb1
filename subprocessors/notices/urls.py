from django.urls import path

from subprocessors.notices import api_staff, views

app_name = "notices"

urlpatterns = [
    path(
        "staff/subprocessor-changes/<uuid:public_id>/postpone/",
        views.change_postpone_view,
        name="staff_postpone",
    ),
    path(
        "staff/subprocessor-changes/<uuid:public_id>/alternate-contact/",
        views.change_alternate_view,
        name="staff_alternate",
    ),
    path("staff/subprocessor-changes/<uuid:public_id>/notice/", views.change_notice, name="staff_notice"),
    path(
        "staff/subprocessor-changes/<uuid:public_id>/notice.pdf",
        views.change_notice_report,
        name="staff_notice_report",
    ),
    path(
        "staff/subprocessor-changes/<uuid:public_id>/notice.csv",
        views.change_notice_export,
        name="staff_notice_export",
    ),
    path(
        "api/v1/staff/subprocessor-changes/<uuid:public_id>/postpone/",
        api_staff.StaffChangePostpone.as_view(),
        name="api_staff_postpone",
    ),
    path(
        "api/v1/staff/subprocessor-changes/<uuid:public_id>/notice/",
        api_staff.StaffChangeNotice.as_view(),
        name="api_staff_notice",
    ),
    path(
        "api/v1/staff/subprocessor-changes/<uuid:public_id>/notice.csv",
        api_staff.StaffChangeNoticeCsv.as_view(),
        name="api_staff_notice_csv",
    ),
]
