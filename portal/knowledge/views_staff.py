"""Legal staff: the FAQ entries (list, create, edit, publish, history) and its topics."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render

from portal.core.errors import ApplicationError
from portal.core.forms import form_error
from portal.core.permissions import legal_required
from portal.core.tables import Table, valid_filters
from portal.knowledge.forms import EntryCreateForm, EntryFilterForm, EntryForm, TopicForm, entry_initial
from portal.knowledge.models import Entry, Topic
from portal.knowledge.selectors import entry_history, staff_entries, topics_listed
from portal.knowledge.services import (
    entry_create,
    entry_publish,
    entry_unpublish,
    entry_update,
    topic_create,
    topic_update,
)

VIEW = "knowledge.view_entry"
ADD = "knowledge.add_entry"
CHANGE = "knowledge.change_entry"
ENTRY_COLUMNS = {
    "topic": ("topic__order", "topic__name", "topic_id", "order"),
    "question": ("question",),
    "status": ("status", "topic__order", "order"),
    "visibility": ("visibility", "topic__order", "order"),
    "updated": ("updated_at",),
}


@legal_required(VIEW)
def entry_list(request):
    form = EntryFilterForm(request.GET or None)
    entries = staff_entries(filters=valid_filters(form))
    table = Table.build(request, entries, columns=ENTRY_COLUMNS, default="topic", noun=("entry", "entries"))
    return render(request, "knowledge/staff/entries.html", {"form": form, "table": table})


@legal_required(ADD)
def entry_new(request):
    form = EntryCreateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            try:
                entry = entry_create(
                    topic=d["topic"],
                    question=d["question"],
                    answer=d["answer"],
                    visibility=d["visibility"],
                    status=d["status"],
                    order=d["order"],
                    note=d["note"],
                    actor=request.user,
                    request=request,
                )
            except ApplicationError as exc:
                form_error(form, exc)
            else:
                state = "published" if entry.status == Entry.Status.PUBLISHED else "saved as a draft"
                messages.success(request, f"Entry {state}.")
                return redirect("knowledge:staff_edit", public_id=entry.public_id)
    return render(request, "knowledge/staff/entry_form.html", {"form": form, "entry": None}, status=status)


@legal_required(VIEW)
def entry_edit(request, public_id):
    entry = get_object_or_404(Entry.objects.select_related("topic"), public_id=public_id)
    form = EntryForm(initial=entry_initial(entry))
    status = 200
    if request.method == "POST":
        if not request.user.has_perm(CHANGE):
            raise PermissionDenied
        action = request.POST.get("action", "save")
        status = 400
        try:
            if action == "publish":
                entry_publish(entry=entry, actor=request.user, request=request)
                messages.success(request, "Published: the entry is on the FAQ page.")
                return redirect("knowledge:staff_edit", public_id=entry.public_id)
            if action == "unpublish":
                entry_unpublish(entry=entry, actor=request.user, request=request)
                messages.success(request, "Unpublished: the entry is a draft again and no longer public.")
                return redirect("knowledge:staff_edit", public_id=entry.public_id)
            form = EntryForm(request.POST)
            if form.is_valid():
                d = dict(form.cleaned_data)
                note = d.pop("note")
                updated = entry_update(entry=entry, data=d, note=note, actor=request.user, request=request)
                changed = updated.updated_at != entry.updated_at
                messages.success(request, "Saved; the history shows this version." if changed else "Nothing changed.")
                return redirect("knowledge:staff_edit", public_id=entry.public_id)
        except ApplicationError as exc:
            form_error(form, exc)
    return render(
        request,
        "knowledge/staff/entry_form.html",
        {"form": form, "entry": entry, "can_change": request.user.has_perm(CHANGE)},
        status=status,
    )


@legal_required(VIEW)
def entry_history_page(request, public_id):
    entry = get_object_or_404(Entry.objects.select_related("topic"), public_id=public_id)
    return render(request, "knowledge/staff/entry_history.html", {"entry": entry, "history": entry_history(entry)})


@legal_required("knowledge.view_topic")
def topics(request):
    """Topics in page order: add one; rename or move one with its own small form."""
    form = TopicForm(request.POST or None) if request.POST.get("action") == "create" else TopicForm()
    edit_forms = {}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        status = 400
        try:
            if action == "create":
                if not request.user.has_perm("knowledge.add_topic"):
                    raise PermissionDenied
                if form.is_valid():
                    topic = topic_create(actor=request.user, request=request, **form.cleaned_data)
                    messages.success(request, f"Topic “{topic.name}” added.")
                    return redirect("knowledge:staff_topics")
            elif action == "update":
                if not request.user.has_perm("knowledge.change_topic"):
                    raise PermissionDenied
                topic = get_object_or_404(Topic, pk=request.POST.get("topic"))
                edit = TopicForm(request.POST, prefix=f"t{topic.pk}")
                edit_forms[topic.pk] = edit
                form = edit
                if edit.is_valid():
                    data = dict(edit.cleaned_data)
                    if not data["slug"]:
                        data.pop("slug")
                    topic_update(topic=topic, data=data, actor=request.user, request=request)
                    messages.success(request, f"Topic “{topic.name}” saved.")
                    return redirect("knowledge:staff_topics")
            else:
                messages.error(request, "Unknown action.")
        except ApplicationError as exc:
            form_error(form, exc)
        if action == "update":
            form = TopicForm()
    rows = []
    for topic in topics_listed().annotate(entry_count=Count("entries")):
        edit = edit_forms.get(topic.pk) or TopicForm(
            initial={"name": topic.name, "slug": topic.slug, "order": topic.order}, prefix=f"t{topic.pk}"
        )
        rows.append({"topic": topic, "form": edit, "entries": topic.entry_count})
    return render(
        request,
        "knowledge/staff/topics.html",
        {
            "form": form,
            "rows": rows,
            "can_add": request.user.has_perm("knowledge.add_topic"),
            "can_change": request.user.has_perm("knowledge.change_topic"),
        },
        status=status,
    )
