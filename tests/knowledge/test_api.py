import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from rest_framework.test import APIClient

from portal.audit.models import AuditEvent
from portal.knowledge.models import Entry, EntryRevision, Topic
from portal.knowledge.services import TOPIC_SLUG_TAKEN, entry_create, entry_update
from tests.auth import login, staff_token, user_token
from tests.knowledge.factories import EntryFactory, TopicFactory
from tests.organisations.factories import UserFactory
from tests.trust.factories import grant

pytestmark = pytest.mark.django_db

PUBLIC = reverse("knowledge:api_list")
ENTRIES = reverse("knowledge:api_staff_entries")
TOPICS = reverse("knowledge:api_staff_topics")
NDA_ANSWER = "Every twelve months by the key custodians."


def _entry_url(entry):
    return reverse("knowledge:api_staff_entry", args=[entry.public_id])


def _history_url(entry):
    return reverse("knowledge:api_staff_entry_history", args=[entry.public_id])


@pytest.fixture
def topic(db):
    return TopicFactory(name="Encryption", slug="encryption", order=10)


@pytest.fixture
def entry(legal, topic):
    return entry_create(topic=topic, question="Is data encrypted?", answer="Yes.", actor=legal)


@pytest.fixture
def staff_api(legal):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(legal)}")
    return api


# --- public API --------------------------------------------------------------------------------------------------


def _public_client(kind, legal, member):
    api = APIClient()
    if kind == "customer":
        api.credentials(HTTP_AUTHORIZATION=f"Token {user_token(member)}")
    elif kind in ("approved", "nda"):
        user = UserFactory()
        grant(user, kind)
        api.credentials(HTTP_AUTHORIZATION=f"Token {user_token(user)}")
    elif kind == "legal session":
        login(api, legal)
    elif kind == "legal token":
        api.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(legal, scope='read')}")
    return api


@pytest.mark.parametrize(
    ("kind", "reads_nda"),
    [
        ("anonymous", False),
        ("customer", False),
        ("approved", False),
        ("nda", True),
        ("legal session", True),
        ("legal token", True),
    ],
)
def test_public_api_gives_nda_answers_only_with_nda_access(faq, legal, member, kind, reads_nda):
    # when
    body = _public_client(kind, legal, member).get(PUBLIC).json()
    # then
    by_question = {row["question"]: row for row in body["results"]}
    assert list(by_question) == [
        "Is data encrypted at rest?",
        "How are keys rotated?",
        "How fast do you notify a breach?",
    ]  # page order, no draft
    locked = by_question["How are keys rotated?"]
    assert locked["answer"] == (NDA_ANSWER if reads_nda else None)
    assert locked["answer_available"] is reads_nda
    assert locked["visibility"] == "nda"
    public = by_question["Is data encrypted at rest?"]
    assert public == {
        "id": str(faq["public"].public_id),
        "topic": "encryption",
        "topic_name": "Encryption",
        "question": "Is data encrypted at rest?",
        "answer": "Yes, with AES-256.",
        "answer_available": True,
        "visibility": "public",
        "updated_at": public["updated_at"],
        "url": f"http://testserver/trust/faq/#entry-{faq['public'].public_id}",
    }


def test_public_api_filters(faq):
    api = APIClient()
    assert [r["question"] for r in api.get(PUBLIC, {"topic": "incident-response"}).json()["results"]] == [
        "How fast do you notify a breach?"
    ]
    assert [r["question"] for r in api.get(PUBLIC, {"q": "AES"}).json()["results"]] == ["Is data encrypted at rest?"]
    assert api.get(PUBLIC, {"q": "custodians"}).json()["count"] == 0  # locked answers are not searched


@pytest.mark.parametrize(("params", "field"), [({"q": "x" * 101}, "q"), ({"topic": "not a slug!"}, "topic")])
def test_public_api_bad_filter_is_400(faq, params, field):
    response = APIClient().get(PUBLIC, params)
    assert response.status_code == 400
    assert field in response.json()


def test_public_api_query_bound(faq, django_assert_max_num_queries):
    for _ in range(30):
        EntryFactory()
    with django_assert_max_num_queries(3):
        assert APIClient().get(PUBLIC).status_code == 200


# --- staff API: entries ------------------------------------------------------------------------------------------


def test_create_an_entry(staff_api, legal, topic):
    # when
    response = staff_api.post(
        ENTRIES,
        {"topic": "encryption", "question": "Is data encrypted at rest?", "answer": "Yes.\n\nAES-256.", "note": "v1"},
        format="json",
    )
    # then
    assert response.status_code == 201
    entry = Entry.objects.get()
    body = response.json()
    assert body == {
        "id": str(entry.public_id),
        "topic": "encryption",
        "question": "Is data encrypted at rest?",
        "answer": "Yes.\n\nAES-256.",
        "visibility": "public",
        "status": "draft",
        "order": 0,
        "revision": 1,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
        "console_url": f"http://testserver/staff/faq/{entry.public_id}/",
        "history_url": f"http://testserver/api/v1/staff/faq/entries/{entry.public_id}/history/",
    }
    assert entry.revisions.get().note == "v1"
    # the same event as the console writes
    event = AuditEvent.objects.get(action="knowledge.entry_created")
    assert event.actor == legal
    assert event.details["revision"] == 1
    assert event.details["status"] == "draft"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"topic": "nope", "question": "Q?", "answer": "A."}, "topic"),
        ({"topic": "encryption", "question": "", "answer": "A."}, "question"),
        ({"topic": "encryption", "question": "Q\r\n?", "answer": "A."}, "question"),
        ({"topic": "encryption", "question": "Q?"}, "answer"),
        ({"topic": "encryption", "question": "Q?", "answer": "A.", "visibility": "secret"}, "visibility"),
        ({"topic": "encryption", "question": "Q?", "answer": "A.", "order": -1}, "order"),
    ],
)
def test_create_with_bad_input_is_400_and_changes_nothing(staff_api, topic, body, field):
    response = staff_api.post(ENTRIES, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Entry.objects.exists()
    assert not EntryRevision.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="knowledge.entry").exists()


def test_create_is_idempotent(staff_api, topic):
    body = {"topic": "encryption", "question": "Q?", "answer": "A."}
    first = staff_api.post(ENTRIES, body, format="json", HTTP_IDEMPOTENCY_KEY="faq-1")
    again = staff_api.post(ENTRIES, body, format="json", HTTP_IDEMPOTENCY_KEY="faq-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Entry.objects.count() == 1
    assert AuditEvent.objects.filter(action="knowledge.entry_created").count() == 1


def test_list_and_filters(staff_api, legal, topic, entry):
    entry_create(topic=topic, question="Published?", answer="A.", status="published", visibility="nda", actor=legal)
    assert staff_api.get(ENTRIES).json()["count"] == 2
    assert [r["question"] for r in staff_api.get(ENTRIES, {"status": "draft"}).json()["results"]] == [
        "Is data encrypted?"
    ]
    assert [r["question"] for r in staff_api.get(ENTRIES, {"visibility": "nda"}).json()["results"]] == ["Published?"]
    assert staff_api.get(ENTRIES, {"topic": "other"}).json()["count"] == 0
    assert staff_api.get(ENTRIES, {"q": "ENCRYPTED"}).json()["count"] == 1


def test_list_bad_filter_is_400(staff_api, entry):
    response = staff_api.get(ENTRIES, {"status": "archived"})
    assert response.status_code == 400
    assert "status" in response.json()


def test_list_query_bound(staff_api, legal, django_assert_max_num_queries):
    for i in range(25):
        entry_create(topic=TopicFactory(), question=f"Q{i}?", answer="A.", actor=legal)
    with django_assert_max_num_queries(10):  # 8 of them authenticate the staff token and check its permissions
        response = staff_api.get(ENTRIES)
    assert response.json()["count"] == 25


def test_patch_edits_and_records_the_revision(staff_api, legal, entry):
    # when
    response = staff_api.patch(_entry_url(entry), {"answer": "Yes, AES-256.", "note": "Cipher"}, format="json")
    # then
    assert response.status_code == 200
    assert response.json()["answer"] == "Yes, AES-256."
    assert response.json()["revision"] == 2
    revision = entry.revisions.get(number=2)
    assert (revision.answer, revision.note, revision.edited_by) == ("Yes, AES-256.", "Cipher", legal)
    event = AuditEvent.objects.get(action="knowledge.entry_updated")
    assert event.details["before"] == {"answer": "Yes."}
    assert event.details["after"] == {"answer": "Yes, AES-256."}


def test_patch_status_publishes_like_the_console(staff_api, entry):
    response = staff_api.patch(_entry_url(entry), {"status": "published"}, format="json")
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="knowledge.entry_published").count() == 1
    assert APIClient().get(PUBLIC).json()["count"] == 1
    staff_api.patch(_entry_url(entry), {"status": "draft"}, format="json")
    assert AuditEvent.objects.filter(action="knowledge.entry_unpublished").count() == 1
    assert APIClient().get(PUBLIC).json()["count"] == 0


def test_patch_without_changes_records_nothing(staff_api, entry):
    response = staff_api.patch(_entry_url(entry), {"question": "Is data encrypted?"}, format="json")
    assert response.status_code == 200
    assert entry.revisions.count() == 1
    assert not AuditEvent.objects.filter(action="knowledge.entry_updated").exists()


@pytest.mark.parametrize(
    ("body", "field"), [({"question": ""}, "question"), ({"status": "gone"}, "status"), ({"topic": "x"}, "topic")]
)
def test_patch_with_bad_input_is_400_and_changes_nothing(staff_api, entry, body, field):
    response = staff_api.patch(_entry_url(entry), body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    entry.refresh_from_db()
    assert (entry.question, entry.status) == ("Is data encrypted?", "draft")
    assert entry.revisions.count() == 1


def test_unknown_entry_is_404(staff_api, db):
    url = reverse("knowledge:api_staff_entry", args=["00000000-0000-0000-0000-000000000001"])
    assert staff_api.get(url).status_code == 404
    assert staff_api.patch(url, {"question": "x"}, format="json").status_code == 404


def test_history(staff_api, legal, entry):
    entry_update(entry=entry, data={"answer": "Yes, AES-256."}, note="Cipher", actor=legal)
    body = staff_api.get(_history_url(entry)).json()
    assert body["count"] == 2
    newest, first = body["results"]
    assert newest["number"] == 2
    assert newest["changed"] == ["answer"]
    assert newest["note"] == "Cipher"
    assert newest["edited_by"] == legal.email
    assert (first["number"], first["changed"], first["answer"]) == (1, [], "Yes.")


# --- staff API: topics -------------------------------------------------------------------------------------------


def test_topics_list_and_create(staff_api, legal, topic, entry):
    assert staff_api.get(TOPICS).json()["results"] == [
        {
            "slug": "encryption",
            "name": "Encryption",
            "order": 10,
            "entries": 1,
            "created_at": staff_api.get(TOPICS).json()["results"][0]["created_at"],
            "updated_at": staff_api.get(TOPICS).json()["results"][0]["updated_at"],
        }
    ]
    response = staff_api.post(TOPICS, {"name": "Incident response", "order": 20}, format="json")
    assert response.status_code == 201
    assert response.json()["slug"] == "incident-response"
    assert AuditEvent.objects.get(action="knowledge.topic_created").details == {
        "name": "Incident response",
        "slug": "incident-response",
        "order": 20,
    }


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": "Encryption"}, "slug", TOPIC_SLUG_TAKEN),
        ({"name": ""}, "name", None),
        ({"name": "X", "slug": "not a slug"}, "slug", None),
    ],
)
def test_topic_create_bad_input_is_400(staff_api, topic, body, field, message):
    response = staff_api.post(TOPICS, body, format="json")
    assert response.status_code == 400
    if message:
        assert response.json()[field] == [message]
    assert field in response.json()
    assert Topic.objects.count() == 1


def test_topic_create_is_idempotent(staff_api, db):
    first = staff_api.post(TOPICS, {"name": "Pen tests"}, format="json", HTTP_IDEMPOTENCY_KEY="t-1")
    again = staff_api.post(TOPICS, {"name": "Pen tests"}, format="json", HTTP_IDEMPOTENCY_KEY="t-1")
    assert (first.status_code, again.status_code, again["Idempotent-Replayed"]) == (201, 201, "true")
    assert Topic.objects.count() == 1


# --- staff API: permission matrix --------------------------------------------------------------------------------


def _calls(entry):
    """(method, url, body, Django permission, writes)."""
    body = {"topic": "encryption", "question": "New?", "answer": "A."}
    return [
        ("get", ENTRIES, None, "view_entry", False),
        ("post", ENTRIES, body, "add_entry", True),
        ("get", _entry_url(entry), None, "view_entry", False),
        ("patch", _entry_url(entry), {"status": "published"}, "change_entry", True),
        ("get", _history_url(entry), None, "view_entry", False),
        ("get", TOPICS, None, "view_topic", False),
        ("post", TOPICS, {"name": "New topic"}, "add_topic", True),
    ]


def _caller(who, legal, legal_no_mfa, member):
    api = APIClient()
    if who == "customer":
        login(api, member)
    elif who == "customer token":
        api.credentials(HTTP_AUTHORIZATION=f"Token {user_token(member)}")
    elif who == "legal without mfa":
        login(api, legal_no_mfa)
    elif who == "legal, non-staff token":
        api.credentials(HTTP_AUTHORIZATION=f"Token {user_token(legal)}")
    elif who == "legal, read-only staff token":
        api.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(legal, scope='read')}")
    elif who in ("legal session", "legal without the permission"):
        login(api, legal)
    elif who == "legal staff token":
        api.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(legal)}")
    return api


@pytest.mark.parametrize(
    "who",
    [
        "anonymous",
        "customer",
        "customer token",
        "legal without mfa",
        "legal, non-staff token",
        "legal, read-only staff token",
        "legal without the permission",
        "legal session",
        "legal staff token",
    ],
)
def test_staff_api_permission_matrix(topic, entry, legal, legal_no_mfa, member, who):
    api = _caller(who, legal, legal_no_mfa, member)
    legal_group = Group.objects.get(name="legal")
    for method, url, body, codename, writes in _calls(entry):
        permission = Permission.objects.get(content_type__app_label="knowledge", codename=codename)
        if who == "legal without the permission":
            legal_group.permissions.remove(permission)
        response = getattr(api, method)(url, body, format="json") if body else getattr(api, method)(url)
        if who == "legal without the permission":
            legal_group.permissions.add(permission)
        allowed = who in ("legal session", "legal staff token") or (
            who == "legal, read-only staff token" and not writes
        )
        if allowed:
            assert response.status_code in (200, 201), (who, method, url, response.content)
        elif who == "anonymous":
            assert response.status_code == 401, (method, url)
        else:
            assert response.status_code == 403, (who, method, url, response.status_code)
    entry.refresh_from_db()
    allowed_writes = who in ("legal session", "legal staff token")
    assert entry.status == ("published" if allowed_writes else "draft")
    assert Entry.objects.count() == (2 if allowed_writes else 1)
    assert Topic.objects.count() == (2 if allowed_writes else 1)
