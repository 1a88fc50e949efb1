import csv
import io

import pytest
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.knowledge.selectors import LOCKED_ANSWER
from tests.knowledge.factories import EntryFactory, TopicFactory

pytestmark = pytest.mark.django_db

URL = reverse("knowledge:list")
EXPORT = reverse("knowledge:export_csv")
NDA_ANSWER = "Every twelve months by the key custodians."

# who, whether the NDA-level answer shows, the next step offered instead
MATRIX = [
    ("anonymous", False, "Sign in to request access under NDA"),
    ("customer without access", False, "Request access under NDA"),
    ("pending", False, "Your access request is pending"),
    ("approved", False, "Request NDA-level access"),
    ("nda", True, None),
    ("legal", True, None),
    ("legal without mfa", False, "Request access under NDA"),
]


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize(("who", "reads_nda", "next_step"), MATRIX)
def test_visibility_matrix_on_the_page(client, faq, as_viewer, who, reads_nda, next_step):
    # given
    as_viewer(who)
    # when
    response = client.get(URL)
    # then
    body = response.content.decode()
    assert response.status_code == 200
    assert "Yes, with AES-256." in body
    assert "Within 48 hours." in body
    assert "How are keys rotated?" in body  # every published question is listed
    assert (NDA_ANSWER in body) is reads_nda
    assert (LOCKED_ANSWER in body) is not reads_nda
    if next_step:
        assert next_step in body
    assert "bug bounty" not in body
    assert "Draft answer" not in body


def test_next_steps_link_to_the_access_pages(client, faq, as_viewer):
    body = client.get(URL).content.decode()
    assert f"{reverse('account_login')}?next=%2Ftrust%2Frequest%2F" in body
    as_viewer("pending")
    assert f'href="{reverse("trust:access_status")}"' in client.get(URL).content.decode()


def test_page_groups_by_topic_with_a_table_of_contents(client, faq):
    body = client.get(URL).content.decode()
    assert 'href="#topic-encryption"' in body
    assert 'id="topic-encryption"' in body
    assert body.index('id="topic-encryption"') < body.index('id="topic-incident-response"')
    assert body.index("Is data encrypted at rest?") < body.index("How are keys rotated?")
    assert 'label for="faq-q"' in body
    assert 'role="search"' in body


def test_empty_state(client, db):
    body = client.get(URL).content.decode()
    assert "No questions are published yet." in body
    assert "Download" not in body


def test_a_topic_with_only_drafts_is_not_listed(client, faq):
    TopicFactory(name="Secret topic", slug="secret")
    EntryFactory(topic__slug="secret", status="draft")
    assert "Secret topic" not in client.get(URL).content.decode()


@pytest.mark.parametrize(
    ("q", "found", "missing"),
    [
        ("ENCRYPTED", ["Is data encrypted at rest?"], ["How fast do you notify a breach?"]),
        ("aes-256", ["Is data encrypted at rest?"], ["How are keys rotated?"]),  # in an answer
        ("48 hours", ["How fast do you notify a breach?"], ["Is data encrypted at rest?"]),
        ("bounty", [], ["Do you run a bug bounty?"]),  # drafts are never found
    ],
)
def test_search_in_questions_and_answers_case_insensitive(client, faq, q, found, missing):
    body = client.get(URL, {"q": q}).content.decode()
    for text in found:
        assert text in body
    for text in missing:
        assert text not in body
    if not found:
        assert f"No results for “{q}”" in body


def test_search_does_not_look_into_answers_the_visitor_cannot_read(client, faq, as_viewer):
    # "custodians" appears only in the NDA-level answer: finding it would tell an outsider what the answer says
    assert "No results for “custodians”" in client.get(URL, {"q": "custodians"}).content.decode()
    as_viewer("nda")
    assert NDA_ANSWER in client.get(URL, {"q": "custodians"}).content.decode()


def test_search_reports_how_many_matched(client, faq):
    body = client.get(URL, {"q": "encrypted"}).content.decode()
    assert "1 question matches “encrypted”" in body
    assert "2 questions match “how”" in client.get(URL, {"q": "how"}).content.decode()


def test_an_overlong_search_is_a_field_error_not_a_crash(client, faq):
    response = client.get(URL, {"q": "x" * 101})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'aria-invalid="true"' in body
    assert "Is data encrypted at rest?" in body  # the bad value is ignored


def test_page_is_in_the_main_navigation(client, db):
    assert f'<a href="{URL}">Security FAQ</a>' in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize("who", ["anonymous", "customer without access", "nda", "legal"])
def test_page_query_count_does_not_grow_with_entries(client, faq, as_viewer, django_assert_max_num_queries, who):
    # given many entries in many topics
    for t in range(6):
        topic = TopicFactory()
        for _ in range(8):
            EntryFactory(topic=topic, visibility="nda" if t % 2 else "public")
    as_viewer(who)
    # when / then
    with django_assert_max_num_queries(7):
        assert client.get(URL).status_code == 200


# --- CSV export --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "reads_nda", "_"), MATRIX)
def test_export_has_the_rows_the_visitor_may_read(client, faq, as_viewer, who, reads_nda, _):
    # given
    as_viewer(who)
    # when
    response = client.get(EXPORT)
    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="security-faq-')
    rows = _csv(response)
    assert rows[0] == ["topic", "question", "answer", "last updated"]
    by_question = {row[1]: row for row in rows[1:]}
    assert list(by_question) == [
        "Is data encrypted at rest?",
        "How are keys rotated?",
        "How fast do you notify a breach?",
    ]
    assert by_question["Is data encrypted at rest?"][:3] == [
        "Encryption",
        "Is data encrypted at rest?",
        "Yes, with AES-256.",
    ]
    assert by_question["How are keys rotated?"][2] == (NDA_ANSWER if reads_nda else LOCKED_ANSWER)
    assert by_question["How fast do you notify a breach?"][3] == faq["incident"].updated_at.date().isoformat()


def test_export_follows_the_search(client, faq):
    rows = _csv(client.get(EXPORT, {"q": "breach"}))
    assert [row[1] for row in rows[1:]] == ["How fast do you notify a breach?"]
    rows = _csv(client.get(EXPORT, {"topic": "encryption"}))
    assert [row[0] for row in rows[1:]] == ["Encryption", "Encryption"]


def test_export_is_safe_against_formula_injection(client, db):
    EntryFactory(topic__name="=cmd|' /C calc'!A0", question="+1+1?", answer="@SUM(A1:A2)\n-2")
    row = _csv(client.get(EXPORT))[1]
    assert row[:3] == ["'=cmd|' /C calc'!A0", "'+1+1?", "'@SUM(A1:A2)\n-2"]


def test_signed_in_exports_are_audited_anonymous_ones_not(client, faq, as_viewer):
    client.get(EXPORT)
    assert not AuditEvent.objects.filter(action="knowledge.exported").exists()
    user = as_viewer("nda")
    response = client.get(EXPORT, {"q": "rotated"})
    event = AuditEvent.objects.get(action="knowledge.exported")
    assert event.actor == user
    assert event.details == {"rows": 1, "nda_answers": 1, "filters": {"q": "rotated"}, "email": user.email}
    assert response["Cache-Control"] == "private, no-store"


def test_export_refuses_a_bad_filter_with_400(client, faq):
    response = client.get(EXPORT, {"q": "x" * 101})
    assert response.status_code == 400
    assert "q:" in response.content.decode()
