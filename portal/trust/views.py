"""Customer-facing trust portal: the document list, the access request form, the status page and downloads."""

from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timezone import localtime

from portal.core.clients import client_ip
from portal.core.errors import ApplicationError
from portal.core.forms import form_error
from portal.trust.documents import document_download
from portal.trust.forms import AccessRequestForm
from portal.trust.models import AccessLevel, TrustDocument
from portal.trust.selectors import (
    access_requests_for_user,
    active_access_for,
    current_nda,
    documents_for,
    is_enterprise_member,
    pending_request_for,
    what_opens,
)
from portal.trust.services import access_request_submit


def _needs(user, level: str) -> str:
    """What this visitor needs to open a locked document."""
    if level == AccessLevel.ENTERPRISE and active_access_for(user) is not None and not is_enterprise_member(user):
        return "Enterprise plan required"
    if level == AccessLevel.NDA and active_access_for(user) is not None:
        return "Request NDA-level access"
    return what_opens(level)


def trust_home(request):
    user = request.user
    rows = [
        {"doc": doc, "can_open": ok, "needs": "" if ok else _needs(user, doc.access_level)}
        for doc, ok in documents_for(user)
    ]
    return render(
        request,
        "trust/trust_home.html",
        {
            "rows": rows,
            "grant": active_access_for(user),
            "pending": pending_request_for(user) if user.is_authenticated else None,
        },
    )


@login_required
def access_request(request):
    pending = pending_request_for(request.user)
    if pending is not None:
        messages.info(request, "You already have a pending request; its status is below.")
        return redirect("trust:access_status")
    nda = current_nda()
    form = AccessRequestForm(request.POST or None, user=request.user, initial={"nda_version": nda and nda.version})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            nda_version = nda if nda and data["nda_version"] == nda.version else None
            try:
                req = access_request_submit(
                    user=request.user,
                    organisation=data.get("organisation"),
                    company=data.get("company", ""),
                    job_role=data["job_role"],
                    reason=data["reason"],
                    nda_version=nda_version,
                    nda_accepted=data["accept_nda"],
                    ip=client_ip(request),
                    user_agent=request.META.get("HTTP_USER_AGENT", ""),
                    request=request,
                )
            except ApplicationError as exc:
                form_error(form, exc)
            else:
                if req.status == req.Status.APPROVED:
                    messages.success(request, "Your access was approved at once under your organisation's rule.")
                else:
                    messages.success(
                        request,
                        f"Request received. Expect a decision by {date_format(localtime(req.due_at), 'l j F Y')}.",
                    )
                return redirect("trust:access_status")
    return render(request, "trust/access_request.html", {"form": form, "nda": nda}, status=status)


def _support_link(req) -> str:
    subject = f"Trust-portal access request {req.reference}"
    body = (
        f"Hello,\n\nI requested access to the trust portal on {date_format(localtime(req.submitted_at), 'j F Y')} "
        f"(reference {req.reference}, account {req.user.email}) and have not had a decision yet. "
        "Could you tell me its status?\n\nThank you."
    )
    return f"mailto:{settings.PORTAL_SUPPORT_EMAIL}?subject={quote(subject)}&body={quote(body)}"


@login_required
def access_status(request):
    now = timezone.now()
    rows = [
        {"req": req, "can_chase": req.status == req.Status.PENDING and now >= req.chase_after}
        for req in access_requests_for_user(request.user)
    ]
    for row in rows:
        if row["can_chase"]:
            row["support_link"] = _support_link(row["req"])
    grant = active_access_for(request.user)
    openable = [doc for doc, ok in documents_for(request.user) if ok] if grant else []
    return render(
        request,
        "trust/access_status.html",
        {"rows": rows, "grant": grant, "openable": openable, "now": now},
    )


def document_file(request, public_id):
    doc = get_object_or_404(TrustDocument.objects.select_related("current_version"), public_id=public_id)
    try:
        content, filename = document_download(document=doc, user=request.user, request=request)
    except PermissionDenied:
        if not request.user.is_authenticated and not doc.retired_at:
            return redirect_to_login(request.get_full_path())
        raise
    if isinstance(content, bytes):
        response: HttpResponse | FileResponse = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    else:
        response = FileResponse(content, as_attachment=True, filename=filename, content_type="application/pdf")
    response["Cache-Control"] = "private, no-store"
    return response


def organisation_sections(request, membership) -> list[dict]:
    """The customer home's trust-portal panel and its summary line (hooked in via TrustConfig)."""
    grant = active_access_for(request.user)
    access = {"grant": grant, "pending": None if grant else pending_request_for(request.user)}
    access["org"] = membership.organisation
    return [
        {
            "id": "access",
            "order": 20,
            "title": "Trust-portal documents",
            "html": render_to_string("trust/includes/org_access_section.html", access, request=request),
            "summary": [
                {
                    "label": "Your trust-portal access",
                    "html": render_to_string("trust/includes/home_summary_access.html", access, request=request),
                }
            ],
        }
    ]
