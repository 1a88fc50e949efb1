"""What a change notice tells the controller (DPA clause 7 and the list's own columns): name, legal entity, purpose,
customer data, HQ country, processing location and region, EU/EEA-only, retention and training, the reason, the
effective date, the objection deadline and how to object — in the email, the webhook payload, the Atom feed and the
customer home."""

import datetime as dt

import feedparser
import pytest
import time_machine
from django.urls import reverse

from portal.core.errors import ApplicationError
from portal.delivery.models import OutboundEmail
from subprocessors.changes.models import SubprocessorChange
from subprocessors.changes.services import CHANGE_NEEDS_LEGAL_ENTITY, change_announce
from subprocessors.webhooks.models import Webhook, WebhookDelivery
from tests.auth import login
from tests.changes.factories import make_change, proposed
from tests.listing.factories import SubscriberFactory
from tests.organisations.factories import MembershipFactory

pytestmark = pytest.mark.django_db
MONDAY = dt.datetime(2026, 12, 14, 9, 0, tzinfo=dt.UTC)

# (label as the email writes it, value): each must appear in every notice
FACTS = [
    ("Sub-processor", "Nordlicht Inference"),
    ("Legal entity", "Nordlicht Inference GmbH"),
    ("Purpose", "Hosting of open-weight models for EU-only routing"),
    ("Processes customer data", "yes (May process API traffic transiently)"),
    ("Headquarters", "Germany"),
    ("Processing location", "Frankfurt am Main, no transfers outside the EEA (region: Germany)"),
    ("EU/EEA processing only", "yes"),
    ("Retention and training", "No prompt retention / no training"),
    ("Why", "Customers asked for open-weight models served from Germany only."),
    ("Effective date", "Tuesday 29 December 2026"),
    ("Objections accepted until", "29 December 2026 00:00 CET"),
]


@pytest.fixture
def change(db):
    sub = proposed(
        name="Nordlicht Inference",
        legal_entity="Nordlicht Inference GmbH",
        purpose="Hosting of open-weight models for EU-only routing",
        processes_customer_data=True,
        customer_data_note="May process API traffic transiently",
        location="Frankfurt am Main, no transfers outside the EEA",
        hq_country="DE",
        processing_region="DE",
        eea_only=True,
        retains_prompts=False,
        trains_on_data=False,
    )
    return make_change(
        subprocessor=sub,
        effective_date=dt.date(2026, 12, 29),
        reason="Customers asked for open-weight models served from Germany only.",
    )


def test_email_to_a_customer_carries_every_fact_and_how_to_object(legal, org, change, run_on_commit, connections):
    SubscriberFactory(email="reader@news.example", status="confirmed")
    run_on_commit(change_announce, change=change, effective_date=None, actor=legal, now=MONDAY)
    body = OutboundEmail.objects.get(to_email=org.privacy_contact_email).body_text
    for label, value in FACTS:
        assert f"{label}: {value}" in body, label
    assert "How to object: enterprise customers with a signed DPA may object in writing" in body
    assert f"http://testserver/subprocessors/changes/{change.public_id}/object/" in body
    assert f"POST to http://testserver/api/v1/subprocessor-changes/{change.public_id}/objections/" in body
    # a public subscriber gets the same facts, without the customers' objection link
    reader = OutboundEmail.objects.get(to_email="reader@news.example").body_text
    for label, value in FACTS:
        assert f"{label}: {value}" in reader, label
    assert "/object/" not in reader


def test_webhook_payload_and_api_carry_the_facts(legal, org, change, django_capture_on_commit_callbacks):
    Webhook.objects.create(organisation=org, url="https://93.184.215.14/hook", secret="s")
    with django_capture_on_commit_callbacks(execute=False):
        change_announce(change=change, effective_date=None, actor=legal, now=MONDAY)
        from subprocessors.changes.fanout import change_fanout

        change_fanout(change_id=change.pk, notice="announce")
    payload = WebhookDelivery.objects.get(event="subprocessor_change.announced").payload
    assert payload["event"] == "subprocessor_change.announced"
    sp = payload["change"]["subprocessor"]
    assert sp["legal_entity"] == "Nordlicht Inference GmbH"
    assert sp["purpose"] == "Hosting of open-weight models for EU-only routing"
    assert (sp["processes_customer_data"], sp["customer_data_note"]) == (True, "May process API traffic transiently")
    assert (sp["hq_country"], sp["hq_country_name"]) == ("DE", "Germany")
    assert sp["processing_location"] == "Frankfurt am Main, no transfers outside the EEA"
    assert (sp["processing_region"], sp["processing_region_name"]) == ("DE", "Germany")
    assert sp["eea_only"] is True
    assert sp["retention_training"] == "No prompt retention / no training"
    assert payload["change"]["reason"] == "Customers asked for open-weight models served from Germany only."
    assert payload["change"]["effective_date"] == "2026-12-29"
    assert payload["change"]["objection_deadline"] == "2026-12-29T00:00:00+01:00"
    assert payload["change"]["how_to_object"]["api"].endswith(
        f"/api/v1/subprocessor-changes/{change.public_id}/objections/"
    )
    assert payload["change"]["status"] == "announced"
    assert payload["change"]["held"] is False


def test_atom_entry_carries_the_facts(client, legal, change, run_on_commit):
    run_on_commit(change_announce, change=change, effective_date=None, actor=legal, now=MONDAY)
    feed = feedparser.parse(client.get(reverse("changes:feed")).content)
    assert not feed.bozo, feed.bozo_exception
    entry = next(e for e in feed.entries if e.title.startswith("Announced:"))
    for label, value in FACTS:
        assert f"{label}: {value}" in entry.summary, label
    assert "How to object" in entry.summary


def test_customer_home_shows_the_facts(client, org, change):
    SubprocessorChange.objects.filter(pk=change.pk).update(status="announced", announced_at=MONDAY)
    member = MembershipFactory(organisation=org).user
    with time_machine.travel(MONDAY, tick=False):
        login(client, member)
        page = client.get(reverse("organisations:detail", args=[org.public_id])).content.decode()
    for text in (
        "Nordlicht Inference GmbH",
        "Hosting of open-weight models for EU-only routing",
        "May process API traffic transiently",
        "Germany",
        "Frankfurt am Main, no transfers outside the EEA (region: Germany)",
        "No prompt retention / no training",
        "Customers asked for open-weight models served from Germany only.",
        "29 Dec 2026",
        "How to object",
        reverse("objections:new", args=[change.public_id]),
    ):
        assert text in page, text


def test_announcing_a_new_sub_processor_without_its_legal_entity_is_refused(legal, change):
    type(change.subprocessor).objects.filter(pk=change.subprocessor_id).update(legal_entity=" ")
    with pytest.raises(ApplicationError) as exc:
        change_announce(change=change, effective_date=None, actor=legal, now=MONDAY)
    assert exc.value.message == CHANGE_NEEDS_LEGAL_ENTITY.format(name="Nordlicht Inference")
    change.refresh_from_db()
    assert change.status == "draft"
    assert not OutboundEmail.objects.exists()
