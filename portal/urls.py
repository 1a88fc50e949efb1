"""The project's URLs: the core pages here, then each app's own `urls.py`."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portal import views as public
from portal.core import health, metrics
from portal.core import views as errors

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.not_found
handler500 = errors.server_error

APPS = [
    "portal.organisations",
    "portal.delivery",
    "portal.deadlines",
    "portal.evidence",
    "portal.staff",
    "portal.trust",
    "portal.knowledge",
    "subprocessors.listing",
    "subprocessors.changes",
    "subprocessors.notices",
    "subprocessors.webhooks",
    "subprocessors.objections",
    "dpa.versions",
    "dpa.signing",
    "dpa.breaches",
]

urlpatterns = [
    path("", public.home, name="home"),
    path("healthz", public.healthz, name="healthz"),
    path("health/live", health.live, name="health_live"),
    path("health/ready", health.ready, name="health_ready"),
    path("metrics", metrics.metrics, name="metrics"),
    path("accounts/", include("allauth.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/docs.html"),
        name="api_docs",
    ),
    path("admin/", admin.site.urls),
    *(path("", include(f"{app}.urls")) for app in APPS),
]
