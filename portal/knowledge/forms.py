from django import forms

from portal.core.forms import PortalForm
from portal.knowledge.models import Entry, EntryStatus, Topic, Visibility

ANSWER_HELP = "Plain text; a blank line starts a new paragraph."


class SearchForm(PortalForm):
    q = forms.CharField(label="Search questions and answers", max_length=100, required=False)
    topic = forms.SlugField(required=False, widget=forms.HiddenInput)


class EntryForm(PortalForm):
    """Create or edit an entry. Publishing is its own button on the edit page; a new entry may start published."""

    topic = forms.ModelChoiceField(queryset=Topic.objects.none(), empty_label="Choose a topic")
    question = forms.CharField(max_length=300, widget=forms.TextInput(attrs={"size": 80}))
    answer = forms.CharField(max_length=10000, widget=forms.Textarea(attrs={"rows": 10}), help_text=ANSWER_HELP)
    visibility = forms.ChoiceField(
        choices=Visibility.choices,
        initial=Visibility.PUBLIC,
        help_text="NDA-level answers are shown only to visitors approved under NDA; others see the question.",
    )
    order = forms.IntegerField(
        min_value=0, max_value=100000, initial=0, help_text="Position within its topic; lower numbers come first."
    )
    note = forms.CharField(
        label="Note for the history", max_length=300, required=False, help_text="What changed and why, in a few words."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        topic = self.fields["topic"]
        assert isinstance(topic, forms.ModelChoiceField)
        topic.queryset = Topic.objects.order_by("order", "name", "id")


class EntryCreateForm(EntryForm):
    status = forms.ChoiceField(
        choices=EntryStatus.choices,
        initial=EntryStatus.DRAFT,
        help_text="Drafts are visible on the staff pages only.",
    )


class TopicForm(PortalForm):
    name = forms.CharField(max_length=120)
    slug = forms.SlugField(
        max_length=80, required=False, help_text="Part of the page's address; made from the name when left empty."
    )
    order = forms.IntegerField(min_value=0, max_value=100000, initial=0, help_text="Lower numbers come first.")


class EntryFilterForm(PortalForm):
    q = forms.CharField(label="Search", max_length=100, required=False)
    topic = forms.ModelChoiceField(
        queryset=Topic.objects.none(), to_field_name="slug", required=False, empty_label="Any topic"
    )
    status = forms.ChoiceField(choices=[("", "Any status"), *EntryStatus.choices], required=False)
    visibility = forms.ChoiceField(choices=[("", "Any visibility"), *Visibility.choices], required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        topic = self.fields["topic"]
        assert isinstance(topic, forms.ModelChoiceField)
        topic.queryset = Topic.objects.order_by("order", "name", "id")


def entry_initial(entry: Entry) -> dict:
    return {f: getattr(entry, f) for f in ("topic", "question", "answer", "visibility", "order")}
