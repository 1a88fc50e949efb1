import csv
import datetime as dt
import io

import pytest
import time_machine
from django.template import Context, Template
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.delivery.models import OutboundEmail
from subprocessors.changes.models import SubprocessorChange
from subprocessors.changes.services import CHANGE_NOT_ANNOUNCED
from tests.auth import login
from tests.changes.factories import make_change, proposed
from tests.listing.factories import SubprocessorFactory, SubscriberFactory
from tests.organisations.factories import UserFactory

pytestmark = pytest.mark.django_db
MONDAY_14_DEC = dt.datetime(2026, 12, 14, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _long_sessions(settings):
    settings.SESSION_COOKIE_AGE = 120 * 24 * 3600


def test_staff_schedule_and_announce_through_the_pages(client, legal, org, run_on_commit):
    login(client, legal)
    new = proposed(name="Nordlicht")
    with time_machine.travel(MONDAY_14_DEC, tick=False):
        form = client.get(reverse("changes:staff_new")).content.decode()
        assert 'value="2026-12-29"' in form  # the earliest allowed date is suggested
        response = client.post(
            reverse("changes:staff_new"),
            {"kind": "add", "subprocessor": new.pk, "reason": "EU-only hosting", "effective_date": "2026-12-29"},
        )
        change = SubprocessorChange.objects.get()
        assert response.status_code == 302
        detail = client.get(reverse("changes:staff_detail", args=[change.public_id])).content.decode()
        assert 'value="2026-12-29"' in detail
        # too early: a form error naming the earliest date, nothing changes
        early = client.post(
            reverse("changes:staff_announce", args=[change.public_id]), {"effective_date": "2026-12-28"}
        )
        assert early.status_code == 400
        assert "Tuesday 29 December 2026" in early.content.decode()
        change.refresh_from_db()
        assert change.status == "draft"
        # the earliest date is accepted
        ok = run_on_commit(
            client.post, reverse("changes:staff_announce", args=[change.public_id]), {"effective_date": "2026-12-29"}
        )
    assert ok.status_code == 302
    change.refresh_from_db()
    assert change.status == "announced"
    assert OutboundEmail.objects.filter(to_email=org.privacy_contact_email, ref_id=str(change.pk)).count() == 1


def test_bad_input_on_the_new_change_form_is_a_form_error(client, legal):
    login(client, legal)
    response = client.post(reverse("changes:staff_new"), {"kind": "add", "reason": "", "effective_date": "tomorrow"})
    assert response.status_code == 400
    assert not SubprocessorChange.objects.exists()
    active = SubprocessorFactory()
    response = client.post(
        reverse("changes:staff_new"),
        {"kind": "add", "subprocessor": active.pk, "reason": "x", "effective_date": "2027-01-05"},
    )
    assert response.status_code == 400
    assert "proposed" in response.content.decode()
    assert not SubprocessorChange.objects.exists()


def test_withdrawing_a_draft_is_refused(client, legal):
    change = make_change()
    login(client, legal)
    response = client.post(reverse("changes:staff_withdraw", args=[change.public_id]), {"reason": "No longer needed"})
    assert response.status_code == 400
    assert CHANGE_NOT_ANNOUNCED in response.content.decode()


def test_proof_of_notice_lists_every_recipient_with_sent_time_and_exports_csv(
    client, legal, org, other_org, run_on_commit
):
    from subprocessors.changes.services import change_announce

    SubscriberFactory(email="reader@news.example", status="confirmed")
    change = make_change(effective_date=dt.date(2026, 12, 29))
    run_on_commit(change_announce, change=change, effective_date=None, actor=legal, now=MONDAY_14_DEC)
    failed = OutboundEmail.objects.get(to_email=other_org.privacy_contact_email)
    OutboundEmail.objects.filter(pk=failed.pk).update(status="failed", sent_at=None, last_error="550 mailbox unknown")
    login(client, legal)
    page = client.get(reverse("notices:staff_notice", args=[change.public_id])).content.decode()
    assert org.privacy_contact_email in page
    assert "reader@news.example" in page
    assert "550 mailbox unknown" in page
    response = client.get(reverse("notices:staff_notice_export", args=[change.public_id]))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    by_email = {r["recipient"]: r for r in rows}
    assert set(by_email) == {org.privacy_contact_email, other_org.privacy_contact_email, "reader@news.example"}
    assert by_email[org.privacy_contact_email]["sent_at"]
    assert by_email[org.privacy_contact_email]["announced_at"] == "2026-12-14T10:00:00+00:00"
    assert by_email[other_org.privacy_contact_email]["not_sent_reason"] == "failed: 550 mailbox unknown"
    assert by_email["reader@news.example"]["role"] == "Public subscriber"
    assert AuditEvent.objects.filter(action="subprocessor_change.notice_exported").count() == 1


def test_proof_of_notice_page_has_no_n_plus_one(client, legal, run_on_commit, django_assert_max_num_queries):
    from subprocessors.changes.services import change_announce
    from tests.changes.factories import bulk_organisations

    bulk_organisations(150)
    change = make_change(effective_date=dt.date(2026, 12, 29))
    run_on_commit(change_announce, change=change, effective_date=None, actor=legal, now=MONDAY_14_DEC)
    login(client, legal)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("notices:staff_notice", args=[change.public_id]))
    assert response.content.decode().count("@bulk.example") == 100  # one page


@pytest.mark.parametrize(
    "name",
    ["changes:staff_list", "changes:staff_new", "changes:staff_detail", "changes:staff_edit", "notices:staff_notice"],
)
def test_staff_pages_refuse_customers_and_non_legal_staff(client, member, name):
    change = make_change()
    kwargs = {} if name in ("changes:staff_list", "changes:staff_new") else {"public_id": change.public_id}
    url = reverse(name, kwargs=kwargs)
    assert client.get(url).status_code == 302  # anonymous: to the login page
    login(client, member)
    assert client.get(url).status_code == 403
    login(client, _staff_with_mfa())
    assert client.get(url).status_code == 403


def _staff_with_mfa():
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    user = UserFactory(is_staff=True)
    TOTP.activate(user, generate_totp_secret())
    return user


def test_legal_without_mfa_is_sent_to_set_it_up(client, legal_no_mfa):
    login(client, legal_no_mfa)
    response = client.get(reverse("changes:staff_list"))
    assert response.status_code == 302
    assert "totp" in response["Location"]


def test_api_lists_public_changes_with_iso_dates_and_filters_by_status(client):
    announced = make_change(kind="replace", status="announced", effective_date=dt.date(2026, 12, 29))
    make_change(status="draft")
    make_change(kind="remove", status="effective", effective_date=dt.date(2026, 11, 2))
    response = client.get(reverse("changes:api_list"))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    first = next(r for r in body["results"] if r["id"] == str(announced.public_id))
    sp = announced.subprocessor
    assert first == {
        "id": str(announced.public_id),
        "kind": "replace",
        "subprocessor": {
            "slug": sp.slug,
            "name": sp.name,
            "legal_entity": f"{sp.name} B.V.",
            "category": "ai_provider",
            "purpose": "AI model processing",
            "processes_customer_data": True,
            "customer_data_note": "Only for selected models",
            "hq_country": "NL",
            "hq_country_name": "Netherlands",
            "processing_location": "EU/EEA configurations only",
            "processing_region": "NL",
            "processing_region_name": "Netherlands",
            "eea_only": True,
            "retains_prompts": False,
            "trains_on_data": False,
            "retention_training": "No prompt retention / no training",
            "website": f"https://{sp.slug}.example",
        },
        "replaces": announced.replaces.slug,
        "modification": "",
        "reason": "Faster inference in the EU",
        "status": "announced",
        "held": False,
        "held_at": None,
        "announced_at": "2026-12-01T10:00:00+01:00",
        "effective_date": "2026-12-29",
        "previous_effective_date": None,
        "postponed_at": None,
        "postponement_reason": "",
        "objection_deadline": "2026-12-29T00:00:00+01:00",
        "how_to_object": {
            "deadline": "2026-12-29T00:00:00+01:00",
            "url": f"http://testserver/subprocessors/changes/{announced.public_id}/object/",
            "api": f"http://testserver/api/v1/subprocessor-changes/{announced.public_id}/objections/",
            "who": "Enterprise customers with a signed DPA, on data-protection grounds, until the deadline (00:00 "
            "local time on the effective date).",
        },
    }
    filtered = client.get(reverse("changes:api_list"), {"status": "announced"}).json()
    assert [r["id"] for r in filtered["results"]] == [str(announced.public_id)]
    bad = client.get(reverse("changes:api_list"), {"status": "draft"})
    assert bad.status_code == 400
    assert "status" in bad.json()


def test_upcoming_changes_include_renders_announced_changes_only():
    announced = make_change(status="announced", effective_date=dt.date(2026, 12, 29), reason="EU-only <b>hosting</b>")
    draft = make_change(status="draft", reason="Secret plan")
    html = Template('{% include "changes/includes/upcoming_changes.html" %}').render(Context({}))
    assert announced.headline in html
    assert "EU-only &lt;b&gt;hosting&lt;/b&gt;" in html
    assert "Tuesday 29 December 2026" in html
    assert "Secret plan" not in html
    assert draft.headline not in html
    assert reverse("objections:new", args=[announced.public_id]) in html
