from django.urls import path

from dpa.versions import api, views, views_staff

app_name = "versions"

urlpatterns = [
    path("dpa/", views.version_list, name="list"),
    path("dpa/versions/<str:label>/", views.version_detail, name="detail"),
    path("dpa/versions/<str:label>/informational.pdf", views.version_pdf, name="pdf"),
    path("dpa/diff/", views.version_diff, name="diff"),
    path("staff/dpa/versions/", views_staff.version_list, name="staff_list"),
    path("staff/dpa/versions/new/", views_staff.version_new, name="staff_new"),
    path("staff/dpa/versions/<str:label>/", views_staff.version_edit, name="staff_edit"),
    path("staff/dpa/versions/<str:label>/publish/", views_staff.version_publish, name="staff_publish"),
    path("staff/dpa/versions/<str:label>/preview.pdf", views_staff.version_preview, name="staff_preview"),
    path("api/v1/dpa/versions/", api.VersionListCreate.as_view(), name="api_list"),
    path("api/v1/dpa/versions/<str:label>/", api.VersionDetail.as_view(), name="api_detail"),
    path("api/v1/dpa/versions/<str:label>/publish/", api.VersionPublish.as_view(), name="api_publish"),
]
