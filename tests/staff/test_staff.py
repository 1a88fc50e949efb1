import csv
import io

import pytest
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.audit.services import audit_record
from portal.delivery.models import OutboundEmail
from tests.auth import login

pytestmark = pytest.mark.django_db

STAFF_URLS = [
    "staff:home",
    "staff:audit",
    "staff:audit_export",
    "delivery:staff_outbox",
    "organisations:staff_list",
    "deadlines:staff_calendar",
    "webhooks:staff_deliveries",
]


@pytest.mark.parametrize("name", STAFF_URLS)
def test_anonymous_is_sent_to_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("name", STAFF_URLS)
def test_customer_is_refused(client, org_admin, name):
    login(client, org_admin)
    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", [*STAFF_URLS, "admin:index"])
def test_staff_without_mfa_is_sent_to_mfa_setup(client, legal_no_mfa, name):
    login(client, legal_no_mfa)
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


@pytest.mark.parametrize("name", STAFF_URLS)
def test_legal_with_mfa_gets_in(client, legal, name):
    login(client, legal)
    assert client.get(reverse(name)).status_code == 200


def test_audit_list_filters(client, legal, org):
    audit_record(
        action="organisation.updated", organisation=org, target_type="organisations.Organisation", target_id=org.pk
    )
    audit_record(action="dpa.signed", target_type="dpa.SignedDpa", target_id=1)
    login(client, legal)
    body = client.get(reverse("staff:audit"), {"action": "dpa"}).content.decode()
    assert "dpa.signed" in body
    assert "organisation.updated" not in body


def test_audit_export_csv_and_is_itself_audited(client, legal):
    audit_record(action="test.one", details={"note": "=cmd|' /C calc'!A0"})
    login(client, legal)
    response = client.get(reverse("staff:audit_export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["id", "time_utc", "actor", "action"]
    assert rows[1][3] == "test.one"
    assert AuditEvent.objects.filter(action="audit.exported").count() == 1


def test_failed_email_can_be_retried_by_staff(client, legal, run_on_commit, mailoutbox):
    row = OutboundEmail.objects.create(
        idempotency_key="f1", to_email="a@b.example", subject="S", body_text="B", status="failed", attempts=6
    )
    login(client, legal)
    assert "a@b.example" in client.get(reverse("delivery:staff_outbox"), {"status": "failed"}).content.decode()
    response = run_on_commit(client.post, reverse("delivery:staff_outbox_retry", args=[row.pk]))
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == "sent"
    assert len(mailoutbox) == 1
    assert AuditEvent.objects.filter(action="outbox.retry").count() == 1


def test_retrying_a_sent_email_is_refused(client, legal, mailoutbox):
    row = OutboundEmail.objects.create(
        idempotency_key="s1", to_email="a@b.example", subject="S", body_text="B", status="sent"
    )
    login(client, legal)
    response = client.post(reverse("delivery:staff_outbox_retry", args=[row.pk]), follow=True)
    assert "Only failed emails can be retried." in response.content.decode()
    assert mailoutbox == []


def test_staff_changes_tier_audited(client, legal, org):
    org.tier = "self_serve"
    org.save()
    login(client, legal)
    response = client.post(
        reverse("organisations:staff_edit", args=[org.public_id]),
        {"tier": "enterprise", "email_domain": "acme.example"},
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.tier == "enterprise"
    event = AuditEvent.objects.get(action="organisation.tier_changed")
    assert event.details == {
        "before": {"email_domain": "", "tier": "self_serve"},
        "after": {"email_domain": "acme.example", "tier": "enterprise"},
    }


def test_calendar_override_added_and_shown(client, legal):
    login(client, legal)
    response = client.post(
        reverse("deadlines:staff_calendar"), {"date": "2026-12-28", "kind": "closed", "note": "Office closed"}
    )
    assert response.status_code == 302
    assert "Office closed" in client.get(reverse("deadlines:staff_calendar")).content.decode()
    assert AuditEvent.objects.filter(action="calendar.override_added").count() == 1
    duplicate = client.post(reverse("deadlines:staff_calendar"), {"date": "2026-12-28", "kind": "open"})
    assert duplicate.status_code == 400
    assert "already exists" in duplicate.content.decode()
