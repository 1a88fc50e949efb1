from django.urls import path

from subprocessors.listing import api
from subprocessors.listing import views as public
from subprocessors.listing import views_exports as exports
from subprocessors.listing import views_staff as staff
from subprocessors.listing import views_subscriptions as subscriptions

urlpatterns = [
    path("subprocessors/subscribe/", subscriptions.subscribe, name="subprocessors_subscribe"),
    path("subprocessors/subscribe/sent/", subscriptions.subscribe_sent, name="subprocessors_subscribe_sent"),
    path(
        "subprocessors/subscribe/confirm/<str:token>/",
        subscriptions.subscribe_confirm,
        name="subprocessors_subscribe_confirm",
    ),
    path("subprocessors/unsubscribe/<str:token>/", subscriptions.unsubscribe, name="subprocessors_unsubscribe"),
    path("subprocessors/", public.subprocessor_list, name="subprocessors_list"),
    path("subprocessors/history/", public.subprocessor_history, name="subprocessors_history"),
    path("subprocessors/export.csv", exports.export_csv, name="subprocessors_csv"),
    path("subprocessors/snapshot.pdf", exports.export_pdf, name="subprocessors_pdf"),
    path("staff/subprocessors/", staff.subprocessor_list, name="staff_subprocessors"),
    path("staff/subprocessors/new/", staff.subprocessor_new, name="staff_subprocessor_new"),
    path("staff/subprocessors/<slug:slug>/", staff.subprocessor_edit, name="staff_subprocessor_edit"),
    path("api/v1/subprocessors/", api.SubprocessorListView.as_view(), name="api_subprocessor_list"),
    path("api/v1/subprocessors/<slug:slug>/", api.SubprocessorDetailView.as_view(), name="api_subprocessor_detail"),
]
