"""API tokens: each user's own (profile page) and every token for legal staff (Staff → API tokens)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from portal.core.errors import ApplicationError
from portal.core.forms import form_error
from portal.core.permissions import is_legal, legal_required
from portal.core.redirects import safe_next
from portal.core.tables import Table, valid_filters
from portal.organisations import tokens as token_services
from portal.organisations.forms import ApiTokenFilterForm, ApiTokenForm
from portal.organisations.models import ApiToken
from portal.organisations.selectors import staff_api_tokens

TOKEN_COLUMNS = {
    "owner": ("user__email", "created"),
    "name": ("name", "created"),
    "created": ("created",),
    "expires": ("expiry",),
    "used": ("last_used_at",),
}


def _own_tokens(user):
    return ApiToken.objects.filter(user=user).order_by("-created")


@login_required
def api_token(request):
    """List the user's tokens and mint a new one; the new key is shown in this response only, never stored."""
    legal = is_legal(request.user)
    initial = {"days": settings.API_TOKEN_STAFF_MAX_DAYS if legal else settings.API_TOKEN_DEFAULT_DAYS}
    form = ApiTokenForm(request.POST or None, legal=legal, initial=initial)
    new_key, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            try:
                data = {"staff": False, **form.cleaned_data}
                token, new_key = token_services.api_token_create(user=request.user, request=request, **data)
            except ApplicationError as exc:
                form_error(form, exc)
            else:
                form = ApiTokenForm(legal=legal, initial=initial)
                status = 201
        if new_key is None:
            status = 400
    context = {"form": form, "tokens": _own_tokens(request.user), "new_key": new_key, "legal": legal}
    response = render(request, "organisations/api_tokens.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def api_token_revoke(request, public_id):
    """Revoke one of the user's own tokens."""
    token = get_object_or_404(ApiToken, public_id=public_id, user=request.user)
    try:
        token_services.api_token_revoke(
            token=token, actor=request.user, reason=token_services.REVOKED_BY_OWNER, request=request
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Token “{token.name}” was revoked; scripts using it stop working now.")
    return redirect("organisations:token")


@legal_required("organisations.view_apitoken")
def staff_tokens(request):
    form = ApiTokenFilterForm(request.GET or None)
    filters = valid_filters(form)
    staff = {"yes": True, "no": False}.get(filters.get("staff") or "")
    tokens = staff_api_tokens(filters={"q": filters.get("q"), "staff": staff})
    table = Table.build(request, tokens, columns=TOKEN_COLUMNS, default="-created", noun=("token", "tokens"))
    return render(request, "organisations/staff/token_list.html", {"form": form, "table": table})


@legal_required("organisations.delete_apitoken")
@require_POST
def staff_token_revoke(request, public_id):
    token = get_object_or_404(ApiToken.objects.select_related("user"), public_id=public_id)
    try:
        token_services.api_token_revoke(
            token=token, actor=request.user, reason=token_services.staff_revoke_reason(), request=request
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Token “{token.name}” of {token.user.email} was revoked.")
    return redirect(safe_next(request, "organisations:staff_tokens"))
