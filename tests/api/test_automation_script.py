"""Issue 19's "done when", as a script would do it with two tokens and nothing else: the processor's legal team
drafts and announces a change, a customer objects, legal answers and settles the objection, the date comes and the
change takes effect. Each step is then visible in the console pages and the audit log as if it had been clicked.
(The whole breach, record → notify → acknowledged → report, is tests/breaches/test_api_staff.py.)"""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from portal.audit.models import AuditEvent
from subprocessors.changes import tasks
from tests.auth import login, staff_token, user_token

pytestmark = pytest.mark.django_db
MONDAY_14_DEC = dt.datetime(2026, 12, 14, 10, 0, tzinfo=dt.UTC)
TUESDAY_15_DEC = dt.datetime(2026, 12, 15, 9, 0, tzinfo=dt.UTC)
ON_THE_DAY = dt.datetime(2026, 12, 29, 6, 0, tzinfo=dt.UTC)  # 07:00 in Amsterdam


def _client(token: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api


def test_a_script_runs_a_whole_change_with_an_objection_answered(legal, org, org_admin, client, run_on_commit):
    staff, customer = _client(staff_token(legal)), _client(user_token(org_admin))
    start = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    # legal drafts and announces an addition
    with time_machine.travel(MONDAY_14_DEC, tick=False):
        draft = staff.post(
            reverse("changes:api_staff_list"),
            {
                "kind": "add",
                "new_subprocessor": {
                    "name": "Nordlicht",
                    "legal_entity": "Nordlicht GmbH",
                    "category": "ai_provider",
                    "purpose": "AI model processing",
                    "processes_customer_data": True,
                    "hq_country": "DE",
                    "processing_region": "DE",
                    "eea_only": True,
                },
                "reason": "EU hosting",
                "effective_date": "2026-12-29",
            },
            format="json",
            HTTP_IDEMPOTENCY_KEY="draft-nordlicht",
        )
        assert draft.status_code == 201, draft.json()
        change_id = draft.json()["id"]
        announce_url = reverse("changes:api_staff_announce", args=[change_id])
        announced = run_on_commit(staff.post, announce_url, {}, format="json", HTTP_IDEMPOTENCY_KEY="announce")
        assert announced.status_code == 200, announced.json()
        # the script's retry after a timeout changes nothing
        again = run_on_commit(staff.post, announce_url, {}, format="json", HTTP_IDEMPOTENCY_KEY="announce")
        assert again["Idempotent-Replayed"] == "true"
        assert again.json() == announced.json()

    # the customer objects through the public API
    with time_machine.travel(TUESDAY_15_DEC, tick=False):
        objected = run_on_commit(
            customer.post,
            reverse("objections:api_create", args=[change_id]),
            {"organisation": str(org.public_id), "grounds": "Our DPA limits AI processing to the Netherlands."},
            format="json",
            HTTP_IDEMPOTENCY_KEY="objection",
        )
        assert objected.status_code == 201, objected.json()
        objection_id = objected.json()["id"]

        # legal finds it, answers and settles it
        listed = staff.get(reverse("objections:api_staff_list"), {"change": change_id, "status": "open"}).json()
        assert [o["id"] for o in listed["results"]] == [objection_id]
        replied = run_on_commit(
            staff.post,
            reverse("objections:api_staff_reply", args=[objection_id]),
            {"body": "Nordlicht processes in Frankfurt only for EU customers; we will route yours to Amsterdam."},
            format="json",
            HTTP_IDEMPOTENCY_KEY="reply-1",
        )
        assert replied.status_code == 201, replied.json()
        assert replied.json()["status"] == "in_consultation"
        settled = run_on_commit(
            staff.post,
            reverse("objections:api_staff_transition", args=[objection_id]),
            {"status": "accommodated", "note": "Routed to Amsterdam."},
            format="json",
            HTTP_IDEMPOTENCY_KEY="settle-1",
        )
        assert settled.status_code == 200, settled.json()
        assert settled.json()["status"] == "accommodated"

    # the date comes; the beat's task makes it effective
    with time_machine.travel(ON_THE_DAY, tick=False):
        assert run_on_commit(tasks.changes_make_effective) == 1
        assert staff.get(reverse("changes:api_staff_detail", args=[change_id])).json()["status"] == "effective"

    # every step is in the audit log, by the legal user or the customer, as if clicked
    trail = list(AuditEvent.objects.filter(id__gt=start).order_by("id"))
    actions = [
        (e.action, "legal" if e.actor_id == legal.pk else "customer" if e.actor_id == org_admin.pk else "-")
        for e in trail
    ]
    assert actions == [
        ("subprocessor.created", "legal"),
        ("subprocessor_change.created", "legal"),
        ("subprocessor_change.announced", "legal"),  # once: the retried announce was a replay
        ("objection.received", "customer"),
        ("objection.status", "legal"),  # the reply opens the consultation, as in the console
        ("objection.message", "legal"),
        ("objection.status", "legal"),
        ("subprocessor.added", "-"),  # the beat's task
        ("subprocessor_change.effective", "-"),
    ]

    # and the console shows the same change and objection
    login(client, legal)
    page = client.get(reverse("changes:staff_detail", args=[change_id])).content.decode()
    assert "Nordlicht" in page
    assert "Effective" in page or "effective" in page
    thread = client.get(reverse("objections:staff_detail", args=[objection_id])).content.decode()
    assert "we will route yours to Amsterdam" in thread
    assert "Accommodated" in thread or "accommodated" in thread
