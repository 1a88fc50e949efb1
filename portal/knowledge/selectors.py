"""Reads of the security FAQ: what a visitor may read (NDA-level answers only with NDA-level access, drafts
never), the staff list and an entry's history."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.http import urlencode

from portal.knowledge.models import Entry, EntryRevision, Topic
from portal.trust.models import AccessLevel
from portal.trust.selectors import active_access_for, pending_request_for, user_can_open

LOCKED_ANSWER = "Answer available with NDA-level access"


def can_read_nda(user) -> bool:
    """NDA-level answers open for whoever may open NDA-level documents (approved under NDA, or staff after MFA)."""
    return user_can_open(user, AccessLevel.NDA)


def published_entries(*, user, q: str = "", topic: str = "") -> QuerySet[Entry]:
    """Published entries in page order, searched in the question, and in the answer where `user` may read it
    (searching locked answers would let a visitor probe what they say)."""
    qs = Entry.objects.filter(status=Entry.Status.PUBLISHED).select_related("topic")
    if topic:
        qs = qs.filter(topic__slug=topic)
    q = (q or "").strip()
    if q:
        in_answer = Q(answer__icontains=q)
        if not can_read_nda(user):
            in_answer &= Q(visibility=Entry.Visibility.PUBLIC)
        qs = qs.filter(Q(question__icontains=q) | in_answer)
    return qs.order_by("topic__order", "topic__name", "topic_id", "order", "id")


@dataclass
class FaqRow:
    entry: Entry
    readable: bool

    @property
    def answer(self) -> str | None:
        return self.entry.answer if self.readable else None


def faq_for(*, user, q: str = "", topic: str = "") -> list[dict]:
    """The page: [{"topic": Topic, "rows": [FaqRow, ...]}, ...] in order, only topics with published entries."""
    nda = can_read_nda(user)
    groups: list[dict] = []
    for entry in published_entries(user=user, q=q, topic=topic):
        if not groups or groups[-1]["topic"].pk != entry.topic_id:
            groups.append({"topic": entry.topic, "rows": []})
        groups[-1]["rows"].append(FaqRow(entry=entry, readable=nda or entry.visibility == Entry.Visibility.PUBLIC))
    return groups


def nda_next_step(user) -> dict:
    """What a visitor without NDA-level access does next to read a locked answer: {"label", "url"} (url may be
    empty when there is nothing to do but wait)."""
    access_request = reverse("trust:access_request")
    if not getattr(user, "is_authenticated", False):
        return {
            "label": "Sign in to request access under NDA",
            "url": f"{reverse('account_login')}?{urlencode({'next': access_request})}",
        }
    if pending_request_for(user) is not None:
        return {"label": "Your access request is pending", "url": reverse("trust:access_status")}
    if active_access_for(user) is not None:
        return {"label": "Request NDA-level access", "url": access_request}
    return {"label": "Request access under NDA", "url": access_request}


def topics_listed() -> QuerySet[Topic]:
    return Topic.objects.order_by("order", "name", "id")


def staff_entries(*, filters: dict | None = None) -> QuerySet[Entry]:
    """Every entry, drafts included. Filters: topic (slug), status, visibility, q (question or answer)."""
    filters = filters or {}
    qs = Entry.objects.select_related("topic")
    if filters.get("topic"):
        topic = filters["topic"]
        qs = qs.filter(topic__slug=topic.slug if isinstance(topic, Topic) else topic)
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("visibility"):
        qs = qs.filter(visibility=filters["visibility"])
    if filters.get("q"):
        qs = qs.filter(Q(question__icontains=filters["q"]) | Q(answer__icontains=filters["q"]))
    return qs.order_by("topic__order", "topic__name", "topic_id", "order", "id")


def entry_history(entry: Entry) -> list[dict]:
    """Each revision, newest first, with what changed from the one before it: [{"revision", "changes"}], where a
    change is {"field", "label", "before", "after"} (the topic by name)."""
    revisions = list(EntryRevision.objects.filter(entry=entry).select_related("edited_by", "topic").order_by("number"))
    labels = {
        "topic": "Topic",
        "question": "Question",
        "answer": "Answer",
        "visibility": "Visibility",
        "status": "Status",
    }
    history = []
    previous = None
    for revision in revisions:
        changes: list[dict] = []
        if previous is not None:
            for field, label in labels.items():
                before, after = _shown(previous, field), _shown(revision, field)
                if before != after:
                    changes.append({"field": field, "label": label, "before": before, "after": after})
        history.append({"revision": revision, "changes": changes})
        previous = revision
    return list(reversed(history))


def _shown(revision: EntryRevision, field: str) -> str:
    if field == "topic":
        return revision.topic.name
    if field in ("visibility", "status"):
        return getattr(revision, f"get_{field}_display")()
    return getattr(revision, field)
