"""Legal staff: the access-request queue, decisions, auto-approval rules and trust documents."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from portal.core.errors import ApplicationError
from portal.core.forms import form_error
from portal.core.permissions import legal_required
from portal.core.tables import Table, valid_filters
from portal.deadlines.calendar import local_date
from portal.trust.documents import document_create, document_replace, document_retire, document_update
from portal.trust.filters import DocumentFilter
from portal.trust.forms import (
    ApproveForm,
    AutoRuleForm,
    BulkApproveForm,
    DenyForm,
    DocumentEditForm,
    DocumentForm,
    NdaVersionForm,
    QueueFilterForm,
    ReplaceForm,
    RevokeForm,
)
from portal.trust.models import AccessRequest, AutoApprovalRule, NdaVersion, TrustDocument
from portal.trust.selectors import DOCUMENT_STATE_ORDER, access_queue, current_nda
from portal.trust.services import (
    access_request_approve,
    access_request_deny,
    access_requests_bulk_approve,
    access_revoke,
    auto_rule_create,
    auto_rule_set_active,
    default_expiry,
    nda_version_publish,
)

QUEUE_COLUMNS = {
    "requester": ("user__email",),
    "company": ("company", "submitted_at"),
    "sent": ("submitted_at",),
    "due": ("due_at",),
    "status": ("status", "submitted_at"),
}
DOCUMENT_COLUMNS = {
    "title": ("title",),
    "category": ("category", "title"),
    "access": ("access_level", "title"),
    "state": (DOCUMENT_STATE_ORDER, "category", "title"),
}
NDA_COLUMNS = {"version": ("version",), "published": ("published_at",)}
RULE_COLUMNS = {"domain": ("domain",), "organisation": ("organisation__name", "domain"), "level": ("level", "domain")}


@legal_required("trust.view_accessrequest")
def queue(request):
    form = QueueFilterForm(request.GET or None)
    table = Table.build(
        request,
        access_queue(filters=valid_filters(form)),
        columns=QUEUE_COLUMNS,
        default="sent",
        noun=("request", "requests"),
    )
    return render(
        request,
        "trust/staff/access_queue.html",
        {
            "form": form,
            "table": table,
            "now": timezone.now(),
            "soon": timezone.now() + dt.timedelta(hours=24),
            "bulk_form": BulkApproveForm(),
        },
    )


@legal_required("trust.decide_accessrequest")
@require_POST
def bulk_approve(request):
    ids = request.POST.getlist("selected")
    form = BulkApproveForm(request.POST, choices=[(i, i) for i in ids])
    if not ids or not form.is_valid():
        messages.error(request, "Select at least one pending request and a level.")
        return redirect("trust:staff_queue")
    approved, skipped = access_requests_bulk_approve(
        ids=form.cleaned_data["selected"], level=form.cleaned_data["level"], actor=request.user, request=request
    )
    if approved:
        messages.success(request, f"Approved {len(approved)} request{'s' if len(approved) != 1 else ''}.")
    for req, error in skipped:
        messages.error(request, f"{req.reference} ({req.user.email}): {error}")
    return redirect("trust:staff_queue")


@legal_required("trust.view_accessrequest")
def detail(request, public_id):
    req = get_object_or_404(
        AccessRequest.objects.select_related("user", "organisation", "nda_version", "decided_by", "auto_rule"),
        public_id=public_id,
    )
    approve_form = ApproveForm(initial={"expires_on": local_date(default_expiry())})
    deny_form = DenyForm()
    revoke_form = RevokeForm()
    status = 200
    if request.method == "POST":
        if not request.user.has_perm("trust.decide_accessrequest"):
            raise PermissionDenied
        action = request.POST.get("action")
        status = 400
        try:
            if action == "approve":
                approve_form = ApproveForm(request.POST)
                if approve_form.is_valid():
                    d = approve_form.cleaned_data
                    access_request_approve(
                        access_request=req,
                        level=d["level"],
                        expires_at=d["expires_on"],
                        note=d["note"],
                        actor=request.user,
                        request=request,
                    )
                    messages.success(request, f"Approved {req.reference}; {req.user.email} was emailed.")
                    return redirect("trust:staff_detail", public_id=req.public_id)
            elif action == "deny":
                deny_form = DenyForm(request.POST)
                if deny_form.is_valid():
                    access_request_deny(
                        access_request=req, reason=deny_form.cleaned_data["reason"], actor=request.user, request=request
                    )
                    messages.success(request, f"Denied {req.reference}; {req.user.email} was emailed.")
                    return redirect("trust:staff_detail", public_id=req.public_id)
            elif action == "revoke":
                revoke_form = RevokeForm(request.POST)
                if revoke_form.is_valid():
                    access_revoke(
                        access_request=req,
                        reason=revoke_form.cleaned_data["reason"],
                        actor=request.user,
                        request=request,
                    )
                    messages.success(request, f"Access {req.reference} revoked with immediate effect.")
                    return redirect("trust:staff_detail", public_id=req.public_id)
            else:
                messages.error(request, "Unknown action.")
        except ApplicationError as exc:
            target = {"approve": approve_form, "deny": deny_form, "revoke": revoke_form}[action]
            form_error(target, exc)
        req.refresh_from_db()
    return render(
        request,
        "trust/staff/access_detail.html",
        {
            "req": req,
            "own": req.user_id == request.user.pk,
            "approve_form": approve_form,
            "deny_form": deny_form,
            "revoke_form": revoke_form,
            "now": timezone.now(),
        },
        status=status,
    )


@legal_required("trust.view_autoapprovalrule")
def rules(request):
    form = AutoRuleForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not request.user.has_perm("trust.change_autoapprovalrule"):
            raise PermissionDenied
        if "toggle" in request.POST:
            rule = get_object_or_404(AutoApprovalRule, pk=request.POST["toggle"])
            auto_rule_set_active(rule=rule, active=not rule.active, actor=request.user, request=request)
            messages.success(request, f"Rule for {rule.domain} {'enabled' if not rule.active else 'disabled'}.")
            return redirect("trust:staff_rules")
        status = 400
        if form.is_valid():
            try:
                rule = auto_rule_create(actor=request.user, request=request, **form.cleaned_data)
            except ApplicationError as exc:
                form_error(form, exc)
            else:
                messages.success(request, f"Requests from @{rule.domain} are now approved at once.")
                return redirect("trust:staff_rules")
    return render(
        request,
        "trust/staff/access_rules.html",
        {
            "form": form,
            "table": Table.build(
                request,
                AutoApprovalRule.objects.select_related("organisation"),
                columns=RULE_COLUMNS,
                default="domain",
                noun=("rule", "rules"),
            ),
        },
        status=status,
    )


@legal_required("trust.view_trustdocument")
def documents(request):
    form = DocumentForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if not request.user.has_perm("trust.add_trustdocument"):
            raise PermissionDenied
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            try:
                doc = document_create(
                    title=d["title"],
                    description=d["description"],
                    category=d["category"],
                    access_level=d["access_level"],
                    upload=d["file"],
                    version=d["version"],
                    published_on=d["published_on"],
                    actor=request.user,
                    request=request,
                )
            except ApplicationError as exc:
                form_error(form, exc)
            else:
                messages.success(request, f"“{doc.title}” published.")
                return redirect("trust:staff_documents")
    filterset = DocumentFilter(request.GET or None, queryset=TrustDocument.objects.select_related("current_version"))
    table = Table.build(
        request, filterset.qs, columns=DOCUMENT_COLUMNS, default="state", noun=("document", "documents")
    )
    return render(
        request,
        "trust/staff/documents.html",
        {"form": form, "filter_form": filterset.form, "table": table},
        status=status,
    )


@legal_required("trust.view_trustdocument")
def document_detail(request, public_id):
    doc = get_object_or_404(TrustDocument.objects.select_related("current_version"), public_id=public_id)
    edit_form = DocumentEditForm(instance=doc, prefix="edit")
    replace_form = ReplaceForm(prefix="replace")
    status = 200
    if request.method == "POST":
        if not request.user.has_perm("trust.change_trustdocument"):
            raise PermissionDenied
        action = request.POST.get("action")
        status = 400
        try:
            if action == "retire":
                document_retire(document=doc, actor=request.user, request=request)
                messages.success(request, f"“{doc.title}” retired; it is no longer listed or downloadable.")
                return redirect("trust:staff_documents")
            if action == "edit":
                edit_form = DocumentEditForm(request.POST, instance=TrustDocument.objects.get(pk=doc.pk), prefix="edit")
                if edit_form.is_valid():
                    document_update(document=doc, data=edit_form.cleaned_data, actor=request.user, request=request)
                    messages.success(request, "Saved.")
                    return redirect("trust:staff_document_detail", public_id=doc.public_id)
            elif action == "replace":
                replace_form = ReplaceForm(request.POST, request.FILES, prefix="replace")
                if replace_form.is_valid():
                    d = replace_form.cleaned_data
                    row = document_replace(
                        document=doc,
                        upload=d["file"],
                        version=d["version"],
                        published_on=d["published_on"],
                        actor=request.user,
                        request=request,
                    )
                    messages.success(request, f"Version {row.version} is now current; earlier versions are kept.")
                    return redirect("trust:staff_document_detail", public_id=doc.public_id)
        except ApplicationError as exc:
            form_error(replace_form if action == "replace" else edit_form, exc)
    return render(
        request,
        "trust/staff/document_detail.html",
        {
            "doc": doc,
            "edit_form": edit_form,
            "replace_form": replace_form,
            "versions": doc.versions.select_related("uploaded_by").order_by("-created_at", "-id"),
        },
        status=status,
    )


@legal_required("trust.view_accessrequest")
def nda_versions(request):
    """The click-through NDA's versions; publishing a new one changes what requesters accept from now on."""
    status = 200
    form = NdaVersionForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("trust.decide_accessrequest"):
            raise PermissionDenied
        status = 400
        if form.is_valid():
            try:
                nda = nda_version_publish(actor=request.user, request=request, **form.cleaned_data)
            except ApplicationError as exc:
                form_error(form, exc)
            else:
                messages.success(request, f"NDA {nda.version} is published; new access requests accept it.")
                return redirect("trust:staff_nda_versions")
    return render(
        request,
        "trust/staff/nda_versions.html",
        {
            "form": form,
            "table": Table.build(
                request,
                NdaVersion.objects.all(),
                columns=NDA_COLUMNS,
                default="-published",
                noun=("version", "versions"),
            ),
            "current": current_nda(),
        },
        status=status,
    )
