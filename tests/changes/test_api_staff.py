"""Staff API of sub-processor changes: the change pages' operations, with their rules, notices and audit events."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.delivery.models import OutboundEmail
from subprocessors.changes.api_staff import DATE_TOO_EARLY, NAME_OR_DESCRIBE
from subprocessors.changes.forms import SUBPROCESSOR_REQUIRED
from subprocessors.changes.models import SubprocessorChange
from subprocessors.changes.notices import CHANGE_POSTPONE_REASON
from subprocessors.changes.services import (
    CHANGE_ADD_NEEDS_PROPOSED,
    CHANGE_DATE_TOO_EARLY,
    CHANGE_NOT_ANNOUNCED,
    CHANGE_NOT_DRAFT,
    CHANGE_WITHDRAW_REASON,
    change_announce,
)
from subprocessors.listing.models import Subprocessor
from subprocessors.notices.proof import CSV_HEADER
from tests.changes.factories import make_change, proposed
from tests.listing.factories import SubprocessorFactory, SubscriberFactory
from tests.staff_api import REFUSED, api_client, expected_ok

pytestmark = pytest.mark.django_db
MONDAY_14_DEC = dt.datetime(2026, 12, 14, 10, 0, tzinfo=dt.UTC)
EARLIEST = "2026-12-29"  # 10 business days after Monday 14 December (25 and 26 December closed)
LIST = "changes:api_staff_list"


@pytest.fixture
def staff_api(request, db):
    return api_client("legal_session", request)


@pytest.fixture
def monday():
    with time_machine.travel(MONDAY_14_DEC, tick=False):
        yield


def url(name: str, change: SubprocessorChange) -> str:
    return reverse(name, args=[change.public_id])


def test_list_shows_drafts_with_the_staff_filters(staff_api, django_assert_max_num_queries):
    # given
    draft = make_change(subprocessor=proposed(name="Nordlicht"))
    make_change(kind="remove", status="announced")
    for _ in range(20):
        make_change(kind="modify", status="effective")
    staff_api.get(reverse(LIST))  # warm the session and permission caches
    # when
    with django_assert_max_num_queries(8):
        response = staff_api.get(reverse(LIST))
    # then
    assert response.status_code == 200
    assert response.json()["count"] == 22
    drafts = staff_api.get(reverse(LIST), {"status": "draft"}).json()["results"]
    assert [c["id"] for c in drafts] == [str(draft.public_id)]
    assert drafts[0]["subprocessor"]["slug"] == draft.subprocessor.slug
    assert drafts[0]["console_url"] == f"http://testserver/staff/subprocessor-changes/{draft.public_id}/"
    assert staff_api.get(reverse(LIST), {"kind": "remove"}).json()["count"] == 1
    assert staff_api.get(reverse(LIST), {"q": "nordl"}).json()["count"] == 1
    bad = staff_api.get(reverse(LIST), {"status": "pending", "kind": "x"})
    assert bad.status_code == 400
    assert set(bad.json()) == {"status", "kind"}


def test_draft_an_addition_of_a_proposed_row(staff_api):
    # given
    sp = proposed(name="Nordlicht")
    # when
    response = staff_api.post(
        reverse(LIST),
        {"kind": "add", "subprocessor": sp.slug, "reason": "EU hosting", "effective_date": EARLIEST},
        format="json",
    )
    # then
    assert response.status_code == 201, response.json()
    change = SubprocessorChange.objects.get()
    body = response.json()
    assert body["id"] == str(change.public_id)
    assert (body["status"], body["kind"], body["headline"]) == ("draft", "add", "New sub-processor: Nordlicht")
    assert body["notice"] is None
    event = AuditEvent.objects.get(action="subprocessor_change.created")
    assert event.actor_label == "legal_session@processor.example"
    assert event.details["after"]["reason"] == "EU hosting"


def test_draft_an_addition_with_its_new_subprocessor(staff_api):
    response = staff_api.post(
        reverse(LIST),
        {
            "kind": "add",
            "new_subprocessor": {
                "name": "Nordlicht AI",
                "legal_entity": "Nordlicht AI GmbH",
                "category": "ai_provider",
                "purpose": "AI model processing",
                "processes_customer_data": True,
                "hq_country": "de",
                "processing_region": "EU",
            },
            "reason": "EU hosting",
            "effective_date": EARLIEST,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    sp = Subprocessor.objects.get(slug="nordlicht-ai")
    assert (sp.status, sp.hq_country) == ("proposed", "DE")
    assert response.json()["subprocessor"]["slug"] == "nordlicht-ai"
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["subprocessor.created", "subprocessor_change.created"]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "remove"}, "subprocessor", SUBPROCESSOR_REQUIRED),
        ({"kind": "add"}, "subprocessor", NAME_OR_DESCRIBE),
        ({"kind": "add", "subprocessor": "active-one"}, "subprocessor", CHANGE_ADD_NEEDS_PROPOSED),
        ({"kind": "remove", "subprocessor": "nobody"}, "subprocessor", "does not exist"),
        ({"kind": "rename", "subprocessor": "active-one"}, "kind", "is not a valid choice"),
        ({"kind": "remove", "subprocessor": "active-one", "effective_date": "soon"}, "effective_date", "wrong format"),
        ({"kind": "remove", "subprocessor": "active-one", "reason": ""}, "reason", "may not be blank"),
        ({"kind": "remove", "subprocessor": "active-one", "new_subprocessor": {"name": "X"}}, "new_subprocessor", ""),
    ],
)
def test_bad_drafts_are_400_with_the_field_and_change_nothing(staff_api, data, field, message):
    SubprocessorFactory(slug="active-one")
    response = staff_api.post(reverse(LIST), {"reason": "Because", "effective_date": EARLIEST, **data}, format="json")
    assert response.status_code == 400
    assert message in str(response.json()[field])
    assert not SubprocessorChange.objects.exists()
    assert not AuditEvent.objects.exists()


def test_read_one_and_unknown_is_404(staff_api):
    change = make_change(status="announced")
    response = staff_api.get(url("changes:api_staff_detail", change))
    assert response.status_code == 200
    assert response.json()["notice"]["recipients"] == 0
    assert response.json()["notice_url"].endswith(f"/api/v1/staff/subprocessor-changes/{change.public_id}/notice/")
    unknown = "00000000-0000-0000-0000-000000000000"
    assert staff_api.get(f"/api/v1/staff/subprocessor-changes/{unknown}/").status_code == 404
    assert staff_api.post(f"/api/v1/staff/subprocessor-changes/{unknown}/announce/", {}).status_code == 404


def test_edit_a_draft_and_not_an_announced_change(staff_api):
    # given
    draft = make_change()
    announced = make_change(kind="remove", status="announced")
    # when
    response = staff_api.patch(url("changes:api_staff_detail", draft), {"reason": "Clearer"}, format="json")
    refused = staff_api.patch(url("changes:api_staff_detail", announced), {"reason": "Clearer"}, format="json")
    # then
    assert response.status_code == 200
    assert response.json()["reason"] == "Clearer"
    assert response.json()["effective_date"] == "2026-12-29"
    event = AuditEvent.objects.get(action="subprocessor_change.updated")
    assert (event.details["before"]["reason"], event.details["after"]["reason"]) == (
        "Faster inference in the EU",
        "Clearer",
    )
    assert refused.status_code == 400
    assert refused.json() == {"detail": CHANGE_NOT_DRAFT}
    announced.refresh_from_db()
    assert announced.reason == "Faster inference in the EU"
    bad = staff_api.patch(url("changes:api_staff_detail", draft), {"effective_date": "x"}, format="json")
    assert bad.status_code == 400
    assert "effective_date" in bad.json()


def test_delete_a_draft_and_not_an_announced_change(staff_api):
    draft = make_change()
    announced = make_change(kind="remove", status="announced")
    assert staff_api.delete(url("changes:api_staff_detail", draft)).status_code == 204
    assert not SubprocessorChange.objects.filter(pk=draft.pk).exists()
    assert Subprocessor.objects.filter(pk=draft.subprocessor_id).exists()  # the proposed row stays
    assert AuditEvent.objects.filter(action="subprocessor_change.deleted").count() == 1
    refused = staff_api.delete(url("changes:api_staff_detail", announced))
    assert refused.status_code == 400
    assert refused.json() == {"detail": CHANGE_NOT_DRAFT}


def test_announce_too_early_is_refused_with_the_pages_message(staff_api, monday):
    change = make_change(effective_date=dt.date(2026, 12, 28))
    response = staff_api.post(url("changes:api_staff_announce", change), {}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "effective_date": [CHANGE_DATE_TOO_EARLY.format(earliest=dt.date(2026, 12, 29))],
        "earliest_effective_date": EARLIEST,
    }
    change.refresh_from_db()
    assert change.status == "draft"
    assert not OutboundEmail.objects.exists()
    assert not AuditEvent.objects.filter(action="subprocessor_change.announced").exists()


def test_announcing_twice_with_one_key_sends_one_set_of_notices(
    staff_api, monday, org, other_org, django_capture_on_commit_callbacks
):
    # given
    SubscriberFactory(email="reader@news.example", status="confirmed")
    change = make_change(effective_date=dt.date(2026, 12, 29))
    # when
    with django_capture_on_commit_callbacks(execute=True):
        first = staff_api.post(url("changes:api_staff_announce", change), {}, format="json", HTTP_IDEMPOTENCY_KEY="a")
    with django_capture_on_commit_callbacks(execute=True):
        again = staff_api.post(url("changes:api_staff_announce", change), {}, format="json", HTTP_IDEMPOTENCY_KEY="a")
    # then
    assert first.status_code == again.status_code == 200
    assert first.json()["status"] == "announced"
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    notices = OutboundEmail.objects.filter(ref_id=str(change.pk))
    assert sorted(notices.values_list("to_email", flat=True)) == sorted(
        [org.privacy_contact_email, other_org.privacy_contact_email, "reader@news.example"]
    )
    assert AuditEvent.objects.filter(action="subprocessor_change.announced").count() == 1
    # without the key the service refuses the repeat, and still nothing is sent again
    repeat = staff_api.post(url("changes:api_staff_announce", change), {}, format="json")
    assert repeat.status_code == 400
    assert repeat.json() == {"detail": CHANGE_NOT_DRAFT}
    assert notices.count() == 3


def test_postpone_and_withdraw(staff_api, monday):
    # given
    change = make_change(status="announced", effective_date=dt.date(2026, 12, 29))
    # when: postponing too early, without a reason, then properly
    early = staff_api.post(
        url("notices:api_staff_postpone", change), {"effective_date": "2026-12-28", "reason": "x"}, format="json"
    )
    no_reason = staff_api.post(
        url("notices:api_staff_postpone", change), {"effective_date": "2027-01-15", "reason": " "}, format="json"
    )
    ok = staff_api.post(
        url("notices:api_staff_postpone", change),
        {"effective_date": "2027-01-15", "reason": "More time"},
        format="json",
    )
    # then
    assert early.status_code == 400
    assert early.json()["earliest_effective_date"] == EARLIEST
    assert no_reason.status_code == 400
    assert no_reason.json() == {"reason": [CHANGE_POSTPONE_REASON]}
    assert ok.status_code == 200, ok.json()
    body = ok.json()
    assert (body["effective_date"], body["previous_effective_date"], body["postponements"]) == (
        "2027-01-15",
        "2026-12-29",
        1,
    )
    assert AuditEvent.objects.filter(action="subprocessor_change.postponed").count() == 1
    # when: withdrawing without a reason, then properly
    blank = staff_api.post(url("changes:api_staff_withdraw", change), {"reason": ""}, format="json")
    withdrawn = staff_api.post(url("changes:api_staff_withdraw", change), {"reason": "Not needed"}, format="json")
    # then
    assert blank.status_code == 400
    assert blank.json() == {"reason": [CHANGE_WITHDRAW_REASON]}
    assert withdrawn.status_code == 200
    assert (withdrawn.json()["status"], withdrawn.json()["withdrawal_reason"]) == ("withdrawn", "Not needed")
    event = AuditEvent.objects.get(action="subprocessor_change.withdrawn")
    assert event.details == {
        "before": {"status": "announced"},
        "after": {"status": "withdrawn"},
        "reason": "Not needed",
    }
    # a draft cannot be withdrawn
    draft = make_change()
    refused = staff_api.post(url("changes:api_staff_withdraw", draft), {"reason": "x"}, format="json")
    assert refused.json() == {"detail": CHANGE_NOT_ANNOUNCED}


@pytest.mark.parametrize(
    ("name", "data", "action"),
    [
        ("notices:api_staff_postpone", {"effective_date": "2027-01-15", "reason": "Time"}, "postponed"),
        ("changes:api_staff_withdraw", {"reason": "Not needed"}, "withdrawn"),
    ],
)
def test_postpone_and_withdraw_replay_with_one_key(staff_api, monday, name, data, action):
    change = make_change(status="announced", effective_date=dt.date(2026, 12, 29))
    first = staff_api.post(url(name, change), data, format="json", HTTP_IDEMPOTENCY_KEY="k")
    again = staff_api.post(url(name, change), data, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert AuditEvent.objects.filter(action=f"subprocessor_change.{action}").count() == 1


@pytest.fixture
def announced(org, other_org, legal, run_on_commit):
    SubscriberFactory(email="reader@news.example", status="confirmed")
    change = make_change(effective_date=dt.date(2026, 12, 29))
    run_on_commit(change_announce, change=change, effective_date=None, actor=legal, now=MONDAY_14_DEC)
    failed = OutboundEmail.objects.get(to_email=other_org.privacy_contact_email)
    OutboundEmail.objects.filter(pk=failed.pk).update(status="failed", sent_at=None, last_error="550 mailbox unknown")
    return change


def test_proof_of_notice_as_json(staff_api, announced, org, other_org, django_assert_max_num_queries):
    # given
    staff_api.get(url("notices:api_staff_notice", announced))
    # when
    with django_assert_max_num_queries(10):
        response = staff_api.get(url("notices:api_staff_notice", announced))
    # then
    assert response.status_code == 200
    rows = {r["email"]: r for r in response.json()["results"]}
    assert set(rows) == {org.privacy_contact_email, other_org.privacy_contact_email, "reader@news.example"}
    delivered = rows[org.privacy_contact_email]
    assert delivered["role"] == "customer"
    assert delivered["organisations"] == org.name
    assert delivered["announcement"]["state"] == "delivered"
    assert delivered["announcement"]["sent_at"]
    assert delivered["delivered_in_time"] is True
    failed = rows[other_org.privacy_contact_email]
    assert failed["announcement"]["state"] == "failed"
    assert failed["announcement"]["not_sent_reason"] == "failed: 550 mailbox unknown"
    only_failed = staff_api.get(url("notices:api_staff_notice", announced), {"delivery": "failed"}).json()
    assert [r["email"] for r in only_failed["results"]] == [other_org.privacy_contact_email]
    assert staff_api.get(url("notices:api_staff_notice", announced), {"role": "subscriber"}).json()["count"] == 1
    bad = staff_api.get(url("notices:api_staff_notice", announced), {"delivery": "lost"})
    assert bad.status_code == 400
    assert "delivery" in bad.json()
    detail = staff_api.get(url("changes:api_staff_detail", announced)).json()
    assert detail["notice"]["recipients"] == 3
    assert detail["notice"]["announce_failed"] == 1


def test_proof_of_notice_as_csv_is_the_pages_export(staff_api, announced, client, legal):
    # when
    response = staff_api.get(url("notices:api_staff_notice_csv", announced))
    # then
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    content = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(content)))
    assert list(rows[0]) == CSV_HEADER
    by_email = {r["recipient"]: r for r in rows}
    assert by_email["reader@news.example"]["role"] == "Public subscriber"
    assert AuditEvent.objects.filter(action="subprocessor_change.notice_exported").count() == 1
    # the staff page's export gives the same file
    from tests.auth import login

    login(client, legal)
    page = client.get(reverse("notices:staff_notice_export", args=[announced.public_id]))
    assert b"".join(page.streaming_content).decode() == content


# --- who may do what -------------------------------------------------------------------------------------------


def _draft():
    return make_change(effective_date=dt.date(2027, 3, 1))


def _announced():
    return make_change(status="announced", effective_date=dt.date(2026, 12, 29))


ENDPOINTS = {
    # name: (method, url name, make the change, body, write, permission the page checks)
    "list": ("get", LIST, None, None, False, "changes.view_subprocessorchange"),
    "create": (
        "post",
        LIST,
        None,
        {"kind": "remove", "subprocessor": "active-one", "reason": "Unused", "effective_date": "2027-03-01"},
        True,
        "changes.add_subprocessorchange",
    ),
    "read": ("get", "changes:api_staff_detail", _draft, None, False, "changes.view_subprocessorchange"),
    "edit": ("patch", "changes:api_staff_detail", _draft, {"reason": "New"}, True, "changes.add_subprocessorchange"),
    "delete": ("delete", "changes:api_staff_detail", _draft, None, True, "changes.add_subprocessorchange"),
    "announce": ("post", "changes:api_staff_announce", _draft, {}, True, "changes.announce_subprocessorchange"),
    "postpone": (
        "post",
        "notices:api_staff_postpone",
        _announced,
        {"effective_date": "2027-03-01", "reason": "Time"},
        True,
        "changes.announce_subprocessorchange",
    ),
    "withdraw": (
        "post",
        "changes:api_staff_withdraw",
        _announced,
        {"reason": "No"},
        True,
        "changes.announce_subprocessorchange",
    ),
    "notice": ("get", "notices:api_staff_notice", _announced, None, False, "changes.view_subprocessorchange"),
    "notice_csv": ("get", "notices:api_staff_notice_csv", _announced, None, False, "changes.view_subprocessorchange"),
}
WHO = [
    "anonymous",
    "customer",
    "legal_without_mfa",
    "legal_read_token",
    "legal_without_permission",
    "legal_session",
    "legal_token",
]


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_permission_matrix(request, monday, who, endpoint):
    # given
    method, name, make, data, write, perm = ENDPOINTS[endpoint]
    SubprocessorFactory(slug="active-one")
    change = make() if make else None
    client = api_client(who, request, without=perm)
    target = url(name, change) if change else reverse(name)
    events = AuditEvent.objects.count()
    # when
    response = getattr(client, method)(target, data, format="json")
    # then
    if expected_ok(who, write=write):
        assert response.status_code in (200, 201, 204)
    else:
        assert response.status_code in REFUSED
        assert AuditEvent.objects.count() == events
        if change:
            before = change.status
            change.refresh_from_db()
            assert change.status == before


def test_a_body_that_is_not_a_json_object_or_a_date_before_2000_is_400_and_changes_nothing(staff_api):
    draft = make_change()
    target = url("changes:api_staff_detail", draft)
    ancient = staff_api.patch(target, {"effective_date": "0389-09-29"}, format="json")
    assert ancient.status_code == 400
    assert ancient.json() == {"effective_date": [DATE_TOO_EARLY]}
    assert staff_api.patch(target, "1.5", content_type="application/json").status_code == 400
    assert staff_api.patch(target, {"reason": "x"}, format="multipart").status_code == 415
    draft.refresh_from_db()
    assert (draft.reason, draft.effective_date) == ("Faster inference in the EU", dt.date(2026, 12, 29))
    assert not AuditEvent.objects.exists()
