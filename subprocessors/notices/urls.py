from django.urls import path

from subprocessors.notices import views

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
]
