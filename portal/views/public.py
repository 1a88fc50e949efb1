from django.http import JsonResponse
from django.shortcuts import render
from django.views.defaults import page_not_found

from portal.selectors import memberships_for_user


def home(request):
    memberships = memberships_for_user(request.user) if request.user.is_authenticated else []
    return render(request, "portal/home.html", {"memberships": memberships})


def healthz(request):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def not_found(request, exception):
    """handler404: the HTML page for people, and DRF's JSON shape for API clients (a path under /api/ that no
    endpoint matches, e.g. a malformed id), which the OpenAPI schema promises for every 404."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)
