from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from portal.errors import ApplicationError
from subprocessors.services.subscriptions import subscriber_confirm, subscriber_unsubscribe


@require_http_methods(["GET", "POST"])
def subscribe_confirm(request, token: str):
    # GET only shows a button: mail scanners that follow links must not confirm on someone's behalf.
    if request.method == "GET":
        return render(request, "subprocessors/subscribe_confirm.html", {"token": token})
    try:
        subscriber_confirm(token=token, request=request)
    except ApplicationError as exc:
        return render(request, "subprocessors/subscribe_confirm.html", {"error": exc.message}, status=400)
    return render(request, "subprocessors/subscribe_confirm.html", {"confirmed": True})


# One-click unsubscribe (RFC 8058): mail clients POST here without a CSRF token; the signed token is the secret.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    if request.method == "GET":
        return render(request, "subprocessors/unsubscribe.html", {"token": token})
    try:
        subscriber_unsubscribe(token=token, request=request)
    except ApplicationError as exc:
        return render(request, "subprocessors/unsubscribe.html", {"error": exc.message}, status=400)
    return render(request, "subprocessors/unsubscribe.html", {"done": True})
