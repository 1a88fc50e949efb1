import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.knowledge.models import Entry, EntryRevision, Topic
from portal.knowledge.services import TOPIC_SLUG_TAKEN, entry_create, entry_update, topic_create
from tests.auth import login
from tests.knowledge.factories import TopicFactory

pytestmark = pytest.mark.django_db

LIST = reverse("knowledge:staff_list")
NEW = reverse("knowledge:staff_create")
TOPICS = reverse("knowledge:staff_topics")


def _without_perm(codename):
    Group.objects.get(name="legal").permissions.remove(
        Permission.objects.get(content_type__app_label="knowledge", codename=codename)
    )


@pytest.fixture
def topic(db):
    return TopicFactory(name="Encryption", slug="encryption", order=10)


@pytest.fixture
def entry(legal, topic):
    return entry_create(topic=topic, question="Is data encrypted?", answer="Yes.", actor=legal)


def _form(for_topic, **overrides):
    return {
        "topic": for_topic.pk,
        "question": "Is data encrypted at rest?",
        "answer": "Yes.\n\nWith AES-256.",
        "visibility": "public",
        "status": "draft",
        "order": 0,
        "note": "",
        **overrides,
    }


# --- permission matrix -------------------------------------------------------------------------------------------


def _pages(entry):
    return [
        ("get", LIST, "view_entry"),
        ("get", NEW, "add_entry"),
        ("get", TOPICS, "view_topic"),
        ("get", reverse("knowledge:staff_edit", args=[entry.public_id]), "view_entry"),
        ("get", reverse("knowledge:staff_history", args=[entry.public_id]), "view_entry"),
        ("post", reverse("knowledge:staff_edit", args=[entry.public_id]), "change_entry"),
        ("post", NEW, "add_entry"),
    ]


@pytest.mark.parametrize("who", ["anonymous", "customer", "legal without mfa", "legal without the permission", "legal"])
def test_permission_matrix(client, entry, member, legal, legal_no_mfa, who):
    for method, url, codename in _pages(entry):
        # given
        client.logout()
        if who == "customer":
            login(client, member)
        elif who == "legal without mfa":
            login(client, legal_no_mfa)
        elif who in ("legal", "legal without the permission"):
            login(client, legal)
        if who == "legal without the permission":
            _without_perm(codename)
        # when
        response = getattr(client, method)(url, {"action": "publish"} if method == "post" else None)
        # then
        expected = {
            "anonymous": {302},
            "customer": {403},
            "legal without mfa": {302},
            "legal without the permission": {403},
            "legal": {200, 302, 400},
        }[who]
        assert response.status_code in expected, (who, method, url, response.status_code)
        if who == "anonymous":
            assert response["Location"].startswith(reverse("account_login"))
        if who == "legal without mfa":
            assert response["Location"].startswith(reverse("mfa_activate_totp"))
        if who == "legal without the permission":
            Group.objects.get(name="legal").permissions.add(
                Permission.objects.get(content_type__app_label="knowledge", codename=codename)
            )
    entry.refresh_from_db()
    assert entry.status == ("published" if who == "legal" else "draft")


def test_staff_pages_are_in_the_staff_navigation(client, legal, topic):
    login(client, legal)
    assert f'<a href="{LIST}">Security FAQ</a>' in client.get(LIST).content.decode()


# --- create, edit, publish ---------------------------------------------------------------------------------------


def test_create_saves_revision_one_and_an_audit_event(client, legal, topic):
    # given
    login(client, legal)
    # when
    response = client.post(NEW, _form(topic, note="First answer"))
    # then
    entry = Entry.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("knowledge:staff_edit", args=[entry.public_id])
    assert (entry.question, entry.answer, entry.status) == (
        "Is data encrypted at rest?",
        "Yes.\n\nWith AES-256.",
        "draft",
    )
    revision = entry.revisions.get()
    assert (revision.number, revision.edited_by, revision.note) == (1, legal, "First answer")
    event = AuditEvent.objects.get(action="knowledge.entry_created")
    assert event.actor == legal
    assert event.details == {
        "id": str(entry.public_id),
        "topic": "encryption",
        "question": "Is data encrypted at rest?",
        "visibility": "public",
        "status": "draft",
        "revision": 1,
    }


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"question": ""}, "question", "This field is required."),
        ({"answer": "  "}, "answer", "This field is required."),
        ({"question": "Line\nbreak"}, "question", "line"),
        ({"visibility": "secret"}, "visibility", "Select a valid choice."),
        ({"topic": 999999}, "topic", "Select a valid choice."),
        ({"order": -1}, "order", "greater than or equal to 0"),
    ],
)
def test_create_with_bad_input_shows_errors_and_changes_nothing(client, legal, topic, overrides, field, message):
    login(client, legal)
    response = client.post(NEW, _form(topic, **overrides))
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert "The entry was not saved." in body
    assert f'href="#id_{field}"' in body
    assert not Entry.objects.exists()
    assert not EntryRevision.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="knowledge.").exists()


def test_edit_saves_the_next_revision_with_before_and_after(client, legal, entry):
    # given
    login(client, legal)
    url = reverse("knowledge:staff_edit", args=[entry.public_id])
    form = _form(entry.topic, question="Is data encrypted?", answer="Yes, AES-256.", note="Cipher named")
    form.pop("status")
    # when
    response = client.post(url, form)
    # then
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.answer == "Yes, AES-256."
    assert list(entry.revisions.order_by("number").values_list("number", "answer", "note")) == [
        (1, "Yes.", "Created"),
        (2, "Yes, AES-256.", "Cipher named"),
    ]
    event = AuditEvent.objects.get(action="knowledge.entry_updated")
    assert event.details["before"] == {"answer": "Yes."}
    assert event.details["after"] == {"answer": "Yes, AES-256."}
    assert event.details["revision"] == 2


def test_saving_without_changes_records_nothing(client, legal, entry):
    login(client, legal)
    form = _form(entry.topic, question=entry.question, answer=entry.answer)
    form.pop("status")
    client.post(reverse("knowledge:staff_edit", args=[entry.public_id]), form)
    assert entry.revisions.count() == 1
    assert not AuditEvent.objects.filter(action="knowledge.entry_updated").exists()


def test_edit_with_bad_input_changes_nothing(client, legal, entry):
    login(client, legal)
    form = _form(entry.topic, question="")
    response = client.post(reverse("knowledge:staff_edit", args=[entry.public_id]), form)
    assert response.status_code == 400
    entry.refresh_from_db()
    assert entry.question == "Is data encrypted?"
    assert entry.revisions.count() == 1


def test_publish_and_unpublish_are_revisions_and_events(client, legal, entry):
    # given
    login(client, legal)
    url = reverse("knowledge:staff_edit", args=[entry.public_id])
    public = reverse("knowledge:list")
    assert "Is data encrypted?" not in client.get(public).content.decode()  # a draft
    # when
    client.post(url, {"action": "publish"})
    # then
    assert "Is data encrypted?" in client.get(public).content.decode()
    client.post(url, {"action": "unpublish"})
    assert "Is data encrypted?" not in client.get(public).content.decode()
    assert list(entry.revisions.order_by("number").values_list("status", "note")) == [
        ("draft", "Created"),
        ("published", "Published"),
        ("draft", "Unpublished"),
    ]
    assert list(
        AuditEvent.objects.filter(action__startswith="knowledge.entry").order_by("id").values_list("action", flat=True)
    ) == ["knowledge.entry_created", "knowledge.entry_published", "knowledge.entry_unpublished"]


def test_history_page_shows_who_when_and_what_changed(client, legal, entry, topic):
    # given
    other = TopicFactory(name="Key management", slug="keys")
    entry_update(entry=entry, data={"answer": "Yes, AES-256.", "topic": other}, note="More precise", actor=legal)
    login(client, legal)
    # when
    body = client.get(reverse("knowledge:staff_history", args=[entry.public_id])).content.decode()
    # then
    assert "Version 2" in body
    assert "Version 1" in body
    assert body.index("Version 2") < body.index("Version 1")
    assert legal.email in body
    assert "More precise" in body
    assert "<del>Yes.</del>" in body
    assert "<ins>Yes, AES-256.</ins>" in body
    assert "<del>Encryption</del>" in body
    assert "<ins>Key management</ins>" in body


def test_staff_list_filters(client, legal, topic):
    entry_create(topic=topic, question="Published one?", answer="A.", status="published", actor=legal)
    entry_create(topic=topic, question="Draft one?", answer="B.", visibility="nda", actor=legal)
    login(client, legal)
    body = client.get(LIST, {"status": "draft"}).content.decode()
    assert "Draft one?" in body
    assert "Published one?" not in body
    body = client.get(LIST, {"visibility": "public", "q": "one"}).content.decode()
    assert "Published one?" in body
    assert "Draft one?" not in body
    body = client.get(LIST, {"topic": "encryption"}).content.decode()
    assert "Published one?" in body
    assert "Draft one?" in body


def test_staff_list_has_no_n_plus_one(client, legal, topic, django_assert_max_num_queries):
    for i in range(20):
        entry_create(topic=TopicFactory(), question=f"Q{i}?", answer="A.", actor=legal)
    login(client, legal)
    with django_assert_max_num_queries(14):
        assert client.get(LIST).status_code == 200


# --- topics ------------------------------------------------------------------------------------------------------


def test_create_a_topic_with_a_slug_from_its_name(client, legal):
    login(client, legal)
    response = client.post(TOPICS, {"action": "create", "name": "Incident response", "slug": "", "order": 30})
    assert response.status_code == 302
    topic = Topic.objects.get()
    assert (topic.name, topic.slug, topic.order) == ("Incident response", "incident-response", 30)
    event = AuditEvent.objects.get(action="knowledge.topic_created")
    assert event.details == {"name": "Incident response", "slug": "incident-response", "order": 30}


def test_a_taken_slug_is_a_form_error(client, legal, topic):
    login(client, legal)
    response = client.post(TOPICS, {"action": "create", "name": "Encryption", "slug": "", "order": 0})
    assert response.status_code == 400
    assert TOPIC_SLUG_TAKEN in response.content.decode()
    assert Topic.objects.count() == 1


def test_rename_and_move_a_topic(client, legal, topic):
    login(client, legal)
    prefix = f"t{topic.pk}"
    response = client.post(
        TOPICS,
        {
            "action": "update",
            "topic": topic.pk,
            f"{prefix}-name": "Cryptography",
            f"{prefix}-slug": "",
            f"{prefix}-order": 5,
        },
    )
    assert response.status_code == 302
    topic.refresh_from_db()
    assert (topic.name, topic.slug, topic.order) == ("Cryptography", "encryption", 5)  # the slug (the anchor) kept
    event = AuditEvent.objects.get(action="knowledge.topic_updated")
    assert event.details == {
        "slug": "encryption",
        "before": {"name": "Encryption", "order": 10},
        "after": {"name": "Cryptography", "order": 5},
    }


def test_renaming_to_an_empty_name_is_refused(client, legal, topic):
    login(client, legal)
    prefix = f"t{topic.pk}"
    response = client.post(
        TOPICS,
        {"action": "update", "topic": topic.pk, f"{prefix}-name": "", f"{prefix}-slug": "", f"{prefix}-order": 1},
    )
    assert response.status_code == 400
    topic.refresh_from_db()
    assert topic.name == "Encryption"
    assert not AuditEvent.objects.filter(action="knowledge.topic_updated").exists()


def test_topic_services_refuse_a_duplicate_slug_without_a_form(legal, topic):
    from portal.core.errors import ApplicationError

    with pytest.raises(ApplicationError) as exc:
        topic_create(name="Other", slug="encryption", actor=legal)
    assert exc.value.field == "slug"


def test_staff_who_may_only_view_see_the_entry_without_a_form(client, legal, entry):
    _without_perm("change_entry")
    login(client, legal)
    body = client.get(reverse("knowledge:staff_edit", args=[entry.public_id])).content.decode()
    assert "Is data encrypted?" in body
    assert 'name="question"' not in body
    assert 'value="publish"' not in body
