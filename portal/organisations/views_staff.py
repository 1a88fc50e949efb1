from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from portal.core.permissions import legal_required
from portal.core.tables import Table
from portal.organisations.filters import OrganisationFilter
from portal.organisations.forms import TierForm
from portal.organisations.models import Organisation
from portal.organisations.selectors import organisation_members, staff_organisations
from portal.organisations.services import organisation_update

ORGANISATION_COLUMNS = {"name": ("name",), "tier": ("tier", "name"), "members": ("member_count", "name")}


@legal_required("organisations.view_organisation")
def organisation_list(request):
    filterset = OrganisationFilter(request.GET or None, queryset=staff_organisations())
    table = Table.build(
        request, filterset.qs, columns=ORGANISATION_COLUMNS, default="name", noun=("organisation", "organisations")
    )
    return render(request, "organisations/staff/organisation_list.html", {"form": filterset.form, "table": table})


@legal_required("organisations.change_organisation")
def organisation_edit(request, public_id):
    org = get_object_or_404(Organisation, public_id=public_id)
    form = TierForm(request.POST or None, instance=org)
    if request.method == "POST" and form.is_valid():
        organisation_update(organisation=org, actor=request.user, data=form.cleaned_data, request=request)
        messages.success(request, f"{org.name} saved.")
        return redirect("organisations:staff_list")
    if request.method == "POST":
        org.refresh_from_db()
    return render(
        request,
        "organisations/staff/organisation_edit.html",
        {"organisation": org, "form": form, "members": organisation_members(org)},
        status=400 if request.method == "POST" else 200,
    )
