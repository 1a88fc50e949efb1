"""A whole sub-processor change through the staff API only, as a script would run it: draft → announce → the
effective date comes (the beat's task) → effective; recorded exactly as the same change clicked in the console."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from portal.audit.models import AuditEvent
from subprocessors.changes import tasks
from subprocessors.changes.models import SubprocessorChange
from subprocessors.listing.models import Subprocessor
from tests.auth import login, staff_token

pytestmark = pytest.mark.django_db
MONDAY_14_DEC = dt.datetime(2026, 12, 14, 10, 0, tzinfo=dt.UTC)
ON_THE_DAY = dt.datetime(2026, 12, 29, 6, 0, tzinfo=dt.UTC)  # 07:00 in Amsterdam
NEW = {
    "legal_entity": "{name} GmbH",
    "category": "ai_provider",
    "purpose": "AI model processing",
    "processes_customer_data": True,
    "hq_country": "DE",
    "processing_region": "DE",
    "eea_only": True,
}


def _audit_trail(change: SubprocessorChange) -> list[tuple[str, str]]:
    """(action, who) of every event about the change or the sub-processor it adds, in order."""
    events = AuditEvent.objects.filter(
        target_type="changes.SubprocessorChange", target_id=str(change.pk)
    ) | AuditEvent.objects.filter(target_type="listing.Subprocessor", target_id=str(change.subprocessor_id))
    return [(e.action, "staff" if e.actor_id else e.actor_label) for e in events.order_by("id")]


def _through_the_api(legal, commit) -> SubprocessorChange:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(legal)}")
    draft = api.post(
        reverse("changes:api_staff_list"),
        {
            "kind": "add",
            "new_subprocessor": {"name": "Nordlicht", **NEW, "legal_entity": "Nordlicht GmbH"},
            "reason": "EU hosting",
            "effective_date": "2026-12-29",
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="draft-1",
    )
    assert draft.status_code == 201, draft.json()
    change_id = draft.json()["id"]
    announce = commit(
        api.post,
        reverse("changes:api_staff_announce", args=[change_id]),
        {},
        format="json",
        HTTP_IDEMPOTENCY_KEY="announce-1",
    )
    assert announce.status_code == 200, announce.json()
    assert announce.json()["status"] == "announced"
    return SubprocessorChange.objects.get(public_id=change_id)


def _through_the_console(legal, commit, client) -> SubprocessorChange:
    login(client, legal)
    new = {f"new-{k}": ("on" if v is True else v) for k, v in NEW.items()}
    response = client.post(
        reverse("changes:staff_new"),
        {
            "kind": "add",
            "reason": "EU hosting",
            "effective_date": "2026-12-29",
            "new-slug": "sonnenschein",
            "new-name": "Sonnenschein",
            **new,
            "new-legal_entity": "Sonnenschein GmbH",
        },
    )
    assert response.status_code == 302
    change = SubprocessorChange.objects.get(subprocessor__slug="sonnenschein")
    response = commit(
        client.post, reverse("changes:staff_announce", args=[change.public_id]), {"effective_date": "2026-12-29"}
    )
    assert response.status_code == 302
    return change


def test_a_whole_change_through_the_api_is_recorded_as_in_the_console(legal, org, client, run_on_commit):
    # given: a change drafted and announced through the API, another clicked in the console
    with time_machine.travel(MONDAY_14_DEC, tick=False):
        by_api = _through_the_api(legal, run_on_commit)
        by_console = _through_the_console(legal, run_on_commit, client)
    # when: the effective date comes and the beat's task runs
    with time_machine.travel(ON_THE_DAY, tick=False):
        assert run_on_commit(tasks.changes_make_effective) == 2
    # then: both took effect, with the same audit trail
    for change in (by_api, by_console):
        change.refresh_from_db()
        assert change.status == SubprocessorChange.Status.EFFECTIVE
        assert change.subprocessor.status == Subprocessor.Status.ACTIVE
    assert _audit_trail(by_api) == _audit_trail(by_console)
    assert [action for action, _ in _audit_trail(by_api)] == [
        "subprocessor.created",
        "subprocessor_change.created",
        "subprocessor_change.announced",
        "subprocessor.added",
        "subprocessor_change.effective",
    ]
    # and the public list and changes feed show it
    public = APIClient()
    row = public.get(reverse("listing:api_detail", args=["nordlicht"])).json()
    assert (row["status"], row["engaged_since"], row["legal_entity"]) == ("active", "2026-12-29", "Nordlicht GmbH")
    feed = public.get(reverse("changes:api_list"), {"status": "effective"}).json()
    assert str(by_api.public_id) in [c["id"] for c in feed["results"]]
    staff = APIClient()
    staff.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(legal)}")
    detail = staff.get(reverse("changes:api_staff_detail", args=[by_api.public_id])).json()
    assert detail["status"] == "effective"
    assert detail["notice"]["delivered_on_time"] == detail["notice"]["recipients"] == 1
