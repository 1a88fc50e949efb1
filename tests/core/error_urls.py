"""URLs for the error-page tests: the portal's own, plus views that fail on purpose."""

from django.core.exceptions import SuspiciousOperation
from django.urls import path

from portal.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


def boom(request):
    raise RuntimeError("a bug")


def suspicious(request):
    raise SuspiciousOperation("a malformed request")


urlpatterns = [
    path("test-boom/", boom),
    path("api/v1/test-boom/", boom),
    path("test-suspicious/", suspicious),
    *urlpatterns,
]
