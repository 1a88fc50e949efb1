from django.urls import path

from portal.knowledge import api, api_staff, views, views_staff

app_name = "knowledge"

urlpatterns = [
    path("trust/faq/", views.faq_list, name="list"),
    path("trust/faq/export.csv", views.export_csv, name="export_csv"),
    path("staff/faq/", views_staff.entry_list, name="staff_list"),
    path("staff/faq/new/", views_staff.entry_new, name="staff_create"),
    path("staff/faq/topics/", views_staff.topics, name="staff_topics"),
    path("staff/faq/<uuid:public_id>/", views_staff.entry_edit, name="staff_edit"),
    path("staff/faq/<uuid:public_id>/history/", views_staff.entry_history_page, name="staff_history"),
    path("api/v1/faq/", api.FaqList.as_view(), name="api_list"),
    path("api/v1/staff/faq/entries/", api_staff.StaffEntryList.as_view(), name="api_staff_entries"),
    path("api/v1/staff/faq/entries/<uuid:public_id>/", api_staff.StaffEntryDetail.as_view(), name="api_staff_entry"),
    path(
        "api/v1/staff/faq/entries/<uuid:public_id>/history/",
        api_staff.StaffEntryHistory.as_view(),
        name="api_staff_entry_history",
    ),
    path("api/v1/staff/faq/topics/", api_staff.StaffTopicList.as_view(), name="api_staff_topics"),
]
