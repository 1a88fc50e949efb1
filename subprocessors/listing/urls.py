from django.urls import path

from subprocessors.listing import api, api_staff
from subprocessors.listing import views as public
from subprocessors.listing import views_exports as exports
from subprocessors.listing import views_staff as staff
from subprocessors.listing import views_subscriptions as subscriptions

app_name = "listing"

urlpatterns = [
    path("subprocessors/", public.subprocessor_list, name="list"),
    path("subprocessors/history/", public.subprocessor_history, name="history"),
    path("subprocessors/export.csv", exports.export_csv, name="export_csv"),
    path("subprocessors/snapshot.pdf", exports.export_pdf, name="export_pdf"),
    path("subprocessors/subscribe/", subscriptions.subscribe, name="subscribe"),
    path("subprocessors/subscribe/sent/", subscriptions.subscribe_sent, name="subscribe_sent"),
    path("subprocessors/subscribe/confirm/<str:token>/", subscriptions.subscribe_confirm, name="subscribe_confirm"),
    path("subprocessors/unsubscribe/<str:token>/", subscriptions.unsubscribe, name="unsubscribe"),
    path("staff/subprocessors/", staff.subprocessor_list, name="staff_list"),
    path("staff/subprocessors/new/", staff.subprocessor_new, name="staff_new"),
    path("staff/subprocessors/<slug:slug>/", staff.subprocessor_edit, name="staff_edit"),
    path("api/v1/subprocessors/", api.SubprocessorListView.as_view(), name="api_list"),
    path("api/v1/subprocessors/<slug:slug>/", api.SubprocessorDetailView.as_view(), name="api_detail"),
    path("api/v1/staff/subprocessors/", api_staff.StaffSubprocessorList.as_view(), name="api_staff_list"),
    path(
        "api/v1/staff/subprocessors/<slug:slug>/", api_staff.StaffSubprocessorDetail.as_view(), name="api_staff_detail"
    ),
    path(
        "api/v1/staff/subprocessors/<slug:slug>/retire/",
        api_staff.StaffSubprocessorRetire.as_view(),
        name="api_staff_retire",
    ),
]
