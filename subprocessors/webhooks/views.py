"""Organisation admins register webhooks and see every delivery with its status code."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from portal.core.errors import ApplicationError
from portal.core.forms import form_error
from portal.organisations.models import Membership
from portal.organisations.selectors import membership_for
from subprocessors.webhooks.forms import WebhookForm
from subprocessors.webhooks.models import Webhook
from subprocessors.webhooks.selectors import organisation_webhooks, webhook_deliveries
from subprocessors.webhooks.services import webhook_deactivate, webhook_register


def _admin(request, public_id) -> Membership:
    membership = membership_for(request.user, public_id)
    if membership.role != Membership.Role.ADMIN:
        raise PermissionDenied("Only an admin of this organisation can manage webhooks.")
    return membership


@login_required
def webhook_list(request, public_id):
    membership = _admin(request, public_id)
    org = membership.organisation
    form = WebhookForm(request.POST or None)
    new_webhook = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                new_webhook = webhook_register(
                    organisation=org, actor=request.user, request=request, **form.cleaned_data
                )
            except ApplicationError as exc:
                form_error(form, exc)
            else:
                status = 201
                form = WebhookForm()
    deliveries = Paginator(webhook_deliveries(organisation=org), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "webhooks/webhooks.html",
        {
            "organisation": org,
            "form": form,
            "webhooks": organisation_webhooks(organisation=org),
            "deliveries": deliveries,
            "new_webhook": new_webhook,
        },
        status=status,
    )


@login_required
@require_POST
def webhook_remove(request, public_id, webhook_id):
    membership = _admin(request, public_id)
    webhook = get_object_or_404(Webhook, organisation=membership.organisation, public_id=webhook_id, active=True)
    webhook_deactivate(webhook=webhook, actor=request.user, request=request)
    messages.success(request, f"Webhook {webhook.url} removed.")
    return redirect("webhooks:list", public_id=public_id)
