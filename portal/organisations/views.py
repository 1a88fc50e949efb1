from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from portal.core.errors import ApplicationError
from portal.core.forms import form_error
from portal.organisations.forms import ContactsForm, InviteForm, OrganisationCreateForm
from portal.organisations.models import Invitation, Membership
from portal.organisations.selectors import membership_for, memberships_for_user, organisation_members
from portal.organisations.services import (
    invitation_accept,
    invitation_create,
    membership_remove,
    membership_set_role,
    organisation_create,
    organisation_update,
)


@login_required
def organisation_list(request):
    memberships = list(memberships_for_user(request.user))
    if len(memberships) == 1 and "all" not in request.GET:
        return redirect("organisations:detail", public_id=memberships[0].organisation.public_id)
    return render(request, "organisations/organisation_list.html", {"memberships": memberships})


@login_required
def organisation_new(request):
    form = OrganisationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        org = organisation_create(creator=request.user, request=request, **form.cleaned_data)
        messages.success(request, f"{org.name} was created. You are its admin.")
        return redirect("organisations:detail", public_id=org.public_id)
    return render(request, "organisations/organisation_new.html", {"form": form})


def _org_context(request, membership):
    org = membership.organisation
    sections = _extra_sections(request, membership)
    return {
        "membership": membership,
        "organisation": org,
        "is_admin": membership.role == Membership.Role.ADMIN,
        "members": organisation_members(org),
        "invitations": org.invitations.filter(accepted_at__isnull=True).order_by("email"),
        "sections": sections,
        "summary": [item for section in sections for item in section.get("summary", ())],
    }


def _extra_sections(request, membership) -> list[dict]:
    """Other apps add panels to the customer home (DPA, access, changes, objections, breaches, webhooks).

    Each app config may define `organisation_sections(request, membership)` returning dicts with `id` (the
    in-page anchor), `title`, `html`, `order` and optionally `summary`: lines for "At a glance", each a
    `label` with either `html` or a `text` linking to `href` (`attention` marks it). The portal stays
    ignorant of the apps' models.
    """

    sections = []
    for config in apps.get_app_configs():
        hook = getattr(config, "organisation_sections", None)
        if hook:
            sections.extend(hook(request, membership))
    return sorted(sections, key=lambda section: section.get("order", 100))


@login_required
def organisation_detail(request, public_id):
    membership = membership_for(request.user, public_id)
    context = _org_context(request, membership)
    context["contacts_form"] = ContactsForm(instance=membership.organisation)
    context["invite_form"] = InviteForm()
    return render(request, "organisations/organisation_detail.html", context)


def _admin_membership(request, public_id) -> Membership:
    membership = membership_for(request.user, public_id)
    if membership.role != Membership.Role.ADMIN:
        raise PermissionDenied("Only an admin of this organisation can do that.")
    return membership


@login_required
@require_POST
def organisation_contacts(request, public_id):
    membership = _admin_membership(request, public_id)
    org = membership.organisation
    form = ContactsForm(request.POST, instance=org)
    if form.is_valid():
        organisation_update(organisation=org, actor=request.user, data=form.cleaned_data, request=request)
        messages.success(request, "Contacts saved.")
        return redirect("organisations:detail", public_id=public_id)
    org.refresh_from_db()
    context = _org_context(request, membership)
    context.update(contacts_form=form, invite_form=InviteForm())
    return render(request, "organisations/organisation_detail.html", context, status=400)


@login_required
@require_POST
def organisation_invite(request, public_id):
    membership = _admin_membership(request, public_id)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invitation_create(
                organisation=membership.organisation,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                actor=request.user,
                request=request,
            )
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return redirect("organisations:detail", public_id=public_id)
    context = _org_context(request, membership)
    context.update(contacts_form=ContactsForm(instance=membership.organisation), invite_form=form)
    return render(request, "organisations/organisation_detail.html", context, status=400)


@login_required
@require_POST
def organisation_member(request, public_id, membership_id):
    admin = _admin_membership(request, public_id)
    target = get_object_or_404(Membership, pk=membership_id, organisation=admin.organisation)
    try:
        if request.POST.get("action") == "remove":
            membership_remove(membership=target, actor=request.user, request=request)
            messages.success(request, f"{target.user.email} was removed.")
        else:
            membership_set_role(
                membership=target, role=request.POST.get("role", ""), actor=request.user, request=request
            )
            messages.success(request, f"{target.user.email} is now {target.get_role_display().lower()}.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    if target.user_id == request.user.id and request.POST.get("action") == "remove":
        return redirect("home")
    return redirect("organisations:detail", public_id=public_id)


@login_required
def invitation_detail(request, token):
    invitation = get_object_or_404(Invitation.objects.select_related("organisation"), token=token)
    if request.method == "POST":
        try:
            invitation_accept(invitation=invitation, user=request.user, request=request)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"You joined {invitation.organisation.name}.")
            return redirect("organisations:detail", public_id=invitation.organisation.public_id)
    return render(request, "organisations/invitation.html", {"invitation": invitation})
