from django.conf import settings
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from portal.core.errors import ApplicationError
from portal.core.ratelimit import rate_limited
from subprocessors.listing.forms import SubscribeForm
from subprocessors.listing.subscriptions import subscriber_confirm, subscriber_subscribe, subscriber_unsubscribe


@require_http_methods(["GET", "POST"])
def subscribe_confirm(request, token: str):
    # GET only shows a button: mail scanners that follow links must not confirm on someone's behalf.
    if request.method == "GET":
        return render(request, "listing/subscribe_confirm.html", {"token": token})
    try:
        subscriber_confirm(token=token, request=request)
    except ApplicationError as exc:
        return render(request, "listing/subscribe_confirm.html", {"error": exc.message}, status=400)
    return render(request, "listing/subscribe_confirm.html", {"confirmed": True})


# One-click unsubscribe (RFC 8058): mail clients POST here without a CSRF token; the signed token is the secret.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    if request.method == "GET":
        return render(request, "listing/unsubscribe.html", {"token": token})
    try:
        subscriber_unsubscribe(token=token, request=request)
    except ApplicationError as exc:
        return render(request, "listing/unsubscribe.html", {"error": exc.message}, status=400)
    return render(request, "listing/unsubscribe.html", {"done": True})


SUBSCRIBE_SENT = (
    "Thank you. If that address can receive email, a confirmation link is on its way. "
    "The subscription starts when you open it."
)
RATE_LIMITED = "Too many subscription requests from your network. Please try again in an hour."


# The list page, which carries this form, is cached whole for visitors without a session, so it holds no CSRF
# token. A forged request could only start a subscription that its owner must still confirm from their inbox,
# and the form is rate-limited per IP.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def subscribe(request):
    form = SubscribeForm(request.POST or None)
    if request.method == "POST":
        if rate_limited(request, scope="subprocessors.subscribe", rate=settings.SUBPROCESSORS_SUBSCRIBE_RATE):
            return render(request, "listing/subscribe.html", {"form": form, "error": RATE_LIMITED}, status=429)
        if form.is_valid():
            subscriber_subscribe(email=form.cleaned_data["email"], request=request)
            # The same answer whether the address is new, pending or already confirmed.
            return redirect("listing:subscribe_sent")
        return render(request, "listing/subscribe.html", {"form": form}, status=400)
    return render(request, "listing/subscribe.html", {"form": form})


@require_safe
def subscribe_sent(request):
    return render(request, "listing/subscribe.html", {"sent": SUBSCRIBE_SENT})
