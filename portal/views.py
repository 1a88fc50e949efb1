from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from portal.organisations.selectors import memberships_for_user


def home(request):
    memberships = memberships_for_user(request.user) if request.user.is_authenticated else []
    return render(request, "core/home.html", {"memberships": memberships})


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
