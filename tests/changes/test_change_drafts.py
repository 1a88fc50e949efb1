"""Additions create their proposed row with the change; drafts can be edited and deleted until announced."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from portal.audit.models import AuditEvent
from subprocessors.changes.models import SubprocessorChange
from subprocessors.listing.models import Subprocessor
from tests.auth import login
from tests.changes.factories import make_change

pytestmark = pytest.mark.django_db
MONDAY_14_DEC = dt.datetime(2026, 12, 14, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _long_sessions(settings):
    settings.SESSION_COOKIE_AGE = 120 * 24 * 3600  # the clock moves forward to December in one test


NEW = {
    "new-slug": "nordlicht-ai",
    "new-name": "Nordlicht AI",
    "new-legal_entity": "Nordlicht AI GmbH",
    "new-category": "ai_provider",
    "new-purpose": "AI model processing",
    "new-location": "EU/EEA configurations only",
    "new-hq_country": "de",
    "new-processing_region": "DE",
    "new-eea_only": "on",
}


def test_an_addition_creates_its_proposed_subprocessor_in_the_same_step(client, legal):
    login(client, legal)
    with time_machine.travel(MONDAY_14_DEC, tick=False):
        page = client.get(reverse("changes:staff_new")).content.decode()
        assert "New sub-processor" in page
        response = client.post(
            reverse("changes:staff_new"),
            {"kind": "add", "reason": "EU-hosted models", "effective_date": "2026-12-29", **NEW},
        )
    assert response.status_code == 302
    change = SubprocessorChange.objects.get()
    assert change.subprocessor.slug == "nordlicht-ai"
    assert change.subprocessor.status == Subprocessor.Status.PROPOSED
    assert change.subprocessor.hq_country == "DE"
    assert AuditEvent.objects.filter(action="subprocessor_change.created").count() == 1
    # a proposed row is not on the public list before anything is announced
    assert "Nordlicht" not in client.get(reverse("listing:list")).content.decode()


def test_bad_new_subprocessor_input_is_a_form_error_and_creates_nothing(client, legal):
    login(client, legal)
    response = client.post(
        reverse("changes:staff_new"),
        {"kind": "add", "reason": "EU-hosted models", "effective_date": "2027-01-29", **NEW, "new-hq_country": "XX"},
    )
    assert response.status_code == 400
    assert response.context["new_form"].errors["hq_country"]
    assert not Subprocessor.objects.exists()
    assert not SubprocessorChange.objects.exists()


def test_a_removal_must_name_an_existing_subprocessor(client, legal):
    login(client, legal)
    response = client.post(
        reverse("changes:staff_new"), {"kind": "remove", "reason": "Ending", "effective_date": "2027-01-29", **NEW}
    )
    assert response.status_code == 400
    assert "Choose the active sub-processor" in response.context["form"].errors["subprocessor"][0]
    assert not Subprocessor.objects.exists()


def test_legal_edits_a_draft_and_it_is_audited(client, legal):
    change = make_change(effective_date=dt.date(2027, 2, 1))
    login(client, legal)
    url = reverse("changes:staff_edit", args=[change.public_id])
    assert 'value="2027-02-01"' in client.get(url).content.decode()
    response = client.post(url, {"reason": "Cheaper EU inference", "effective_date": "2027-02-15"})
    assert response.status_code == 302
    change.refresh_from_db()
    assert (change.reason, change.effective_date) == ("Cheaper EU inference", dt.date(2027, 2, 15))
    event = AuditEvent.objects.get(action="subprocessor_change.updated")
    assert event.details["before"]["reason"] == "Faster inference in the EU"
    assert event.details["after"]["reason"] == "Cheaper EU inference"


def test_editing_with_bad_input_changes_nothing(client, legal):
    change = make_change()
    login(client, legal)
    response = client.post(
        reverse("changes:staff_edit", args=[change.public_id]), {"reason": "", "effective_date": "soon"}
    )
    assert response.status_code == 400
    change.refresh_from_db()
    assert change.reason == "Faster inference in the EU"
    assert not AuditEvent.objects.filter(action="subprocessor_change.updated").exists()


def test_an_announced_change_cannot_be_edited_or_deleted(client, legal):
    change = make_change(status="announced")
    login(client, legal)
    edit = client.post(
        reverse("changes:staff_edit", args=[change.public_id]), {"reason": "x", "effective_date": "2027-03-01"}
    )
    assert edit.status_code == 302
    delete = client.post(reverse("changes:staff_delete", args=[change.public_id]), follow=True)
    assert "Only a draft change" in delete.content.decode()
    change.refresh_from_db()
    assert change.status == "announced"
    assert change.reason == "Faster inference in the EU"


def test_legal_deletes_a_draft_and_it_is_audited(client, legal):
    change = make_change()
    login(client, legal)
    response = client.post(reverse("changes:staff_delete", args=[change.public_id]))
    assert response.status_code == 302
    assert not SubprocessorChange.objects.exists()
    assert AuditEvent.objects.filter(action="subprocessor_change.deleted").count() == 1


def test_customers_cannot_delete_a_draft(client, member):
    change = make_change()
    assert client.post(reverse("changes:staff_delete", args=[change.public_id])).status_code == 302
    login(client, member)
    assert client.post(reverse("changes:staff_delete", args=[change.public_id])).status_code == 403
    assert SubprocessorChange.objects.filter(pk=change.pk).exists()
