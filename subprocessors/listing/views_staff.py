from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect, render

from portal.core.errors import ApplicationError
from portal.core.forms import form_error
from portal.core.permissions import legal_required
from portal.core.tables import Table
from subprocessors.listing.filters import SubprocessorFilter
from subprocessors.listing.forms_staff import SubprocessorForm
from subprocessors.listing.models import Subprocessor, SubprocessorRevision, Subscriber
from subprocessors.listing.services import subprocessor_create, subprocessor_update

# "table" is the public list's own order: by table, then the position staff gave each row.
COLUMNS = {
    "name": ("name",),
    "table": ("category", "position", "name"),
    "status": ("status", "name"),
    "engaged": (F("engaged_since"), "name"),
}


@legal_required("listing.view_subprocessor")
def subprocessor_list(request):
    filterset = SubprocessorFilter(request.GET or None, queryset=Subprocessor.objects.all())
    table = Table.build(
        request, filterset.qs, columns=COLUMNS, default="table", noun=("sub-processor", "sub-processors")
    )
    subscribers = Subscriber.objects.filter(status=Subscriber.Status.CONFIRMED).count()
    return render(
        request,
        "listing/staff/list.html",
        {"form": filterset.form, "table": table, "subscribers": subscribers},
    )


@legal_required("listing.add_subprocessor")
def subprocessor_new(request):
    form = SubprocessorForm(request.POST or None, initial={"status": Subprocessor.Status.PROPOSED})
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.fields}
        try:
            sp = subprocessor_create(data=data, actor=request.user, request=request)
        except (ApplicationError, ValidationError) as exc:
            form_error(form, exc)
        else:
            messages.success(request, f"{sp.name} was added to the list as {sp.get_status_display().lower()}.")
            return redirect("listing:staff_edit", slug=sp.slug)
    return render(request, "listing/staff/form.html", {"form": form}, status=400 if form.errors else 200)


@legal_required("listing.change_subprocessor")
def subprocessor_edit(request, slug: str):
    sp = get_object_or_404(Subprocessor, slug=slug)
    form = SubprocessorForm(request.POST or None, instance=Subprocessor.objects.get(pk=sp.pk))
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        if not data:
            messages.info(request, "Nothing was changed.")
            return redirect("listing:staff_edit", slug=sp.slug)
        try:
            subprocessor_update(subprocessor=sp, data=data, actor=request.user, request=request)
        except (ApplicationError, ValidationError) as exc:
            form_error(form, exc)
        else:
            messages.success(request, f"{sp.name} was saved. The change shows in the list's history.")
            return redirect("listing:staff_edit", slug=sp.slug)
    revisions = SubprocessorRevision.objects.filter(subprocessor=sp).order_by("-changed_at", "-id")
    return render(
        request,
        "listing/staff/form.html",
        {"form": form, "subprocessor": sp, "revisions": revisions},
        status=400 if form.errors else 200,
    )
