"""Webhook deliveries carry the notice the API lists: one plain function builds it, equal to the API's answer."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from subprocessors.changes.api import SubprocessorChangeSerializer
from subprocessors.changes.payloads import change_notice, change_payload
from tests.changes.factories import make_change
from tests.listing.factories import make_subprocessor

pytestmark = pytest.mark.django_db


def _as_json(data) -> dict:
    return json.loads(json.dumps(data))


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "add", "status": "announced"},
        {"kind": "add", "status": "held", "held_at": dt.datetime(2026, 12, 28, 23, 0, tzinfo=dt.UTC)},
        {
            "kind": "add",
            "status": "announced",
            "previous_effective_date": dt.date(2026, 12, 22),
            "postponed_at": dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC),
            "postponement_reason": "The provider's EU region opens later.",
        },
    ],
)
def test_the_webhook_notice_equals_the_api_answer_field_for_field(fields):
    change = make_change(announced_at=timezone.now(), **fields)
    assert change_notice(change) == _as_json(SubprocessorChangeSerializer(change).data)


def test_a_replacement_names_the_replaced_sub_processor_and_the_event():
    old = make_subprocessor(slug="old-llm", name="Old LLM")
    change = make_change(kind="replace", status="announced", announced_at=timezone.now(), replaces=old)
    payload = change_payload(change, "subprocessor_change.announced")
    assert payload["event"] == "subprocessor_change.announced"
    assert payload["change"]["replaces"] == "old-llm"
    assert payload["change"] == _as_json(SubprocessorChangeSerializer(change).data)
