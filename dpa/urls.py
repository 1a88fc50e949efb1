from django.urls import include, path

urlpatterns: list = [
    path("", include("dpa.urls_versions")),
]
