from django.urls import path

from dpa.versions import api, views, views_staff

urlpatterns = [
    path("dpa/", views.version_list, name="dpa_versions"),
    path("dpa/versions/<str:label>/", views.version_detail, name="dpa_version_detail"),
    path("dpa/versions/<str:label>/informational.pdf", views.version_pdf, name="dpa_version_pdf"),
    path("dpa/diff/", views.version_diff, name="dpa_diff"),
    path("staff/dpa/versions/", views_staff.version_list, name="staff_dpa_versions"),
    path("staff/dpa/versions/new/", views_staff.version_new, name="staff_dpa_version_new"),
    path("staff/dpa/versions/<str:label>/", views_staff.version_edit, name="staff_dpa_version"),
    path("staff/dpa/versions/<str:label>/publish/", views_staff.version_publish, name="staff_dpa_version_publish"),
    path("staff/dpa/versions/<str:label>/preview.pdf", views_staff.version_preview, name="staff_dpa_version_preview"),
    path("api/v1/dpa/versions/", api.VersionListCreate.as_view(), name="api_dpa_versions"),
    path("api/v1/dpa/versions/<str:label>/", api.VersionDetail.as_view(), name="api_dpa_version"),
    path("api/v1/dpa/versions/<str:label>/publish/", api.VersionPublish.as_view(), name="api_dpa_version_publish"),
]
